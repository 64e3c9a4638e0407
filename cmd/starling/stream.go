package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/js"
)

// jsSession is a command's JetStream context on its link.
type jsSession struct {
	l *link
	j *js.JetStream
}

// openJS connects for a JetStream command. The caller closes the session.
func (g *globals) openJS(cmd *cobra.Command, name string) (*jsSession, error) {
	l, err := g.open(cmd)
	if err != nil {
		return nil, err
	}
	c, err := l.connect(cmd.Context(), name)
	if err != nil {
		_ = l.close()
		return nil, err
	}
	j, err := js.New(c.Conn, js.WithTimeout(g.conn.timeout))
	if err != nil {
		_ = l.close()
		return nil, err
	}
	return &jsSession{l: l, j: j}, nil
}

func (s *jsSession) close() error {
	s.j.Close()
	return s.l.close()
}

func newStreamCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "stream",
		Aliases: []string{"str"},
		Short:   "manage JetStream streams",
		Long: `Adds, lists, shows, edits, purges and removes JetStream streams, and reads
their messages, in the habits of "nats stream".`,
	}
	cmd.AddCommand(
		newStreamAddCommand(g),
		newStreamEditCommand(g),
		newStreamLsCommand(g),
		newStreamInfoCommand(g),
		newStreamRmCommand(g),
		newStreamPurgeCommand(g),
		newStreamGetCommand(g),
	)
	return cmd
}

// streamFlags are the config flags of add and edit.
type streamFlags struct {
	subjects    []string
	description string
	storage     string
	retention   string
	discard     string
	replicas    int
	maxMsgs     int64
	maxBytes    int64
	maxAge      time.Duration
	maxMsgSize  int32
	maxPerSubj  int64
	dupeWindow  time.Duration
	allowDirect bool
	allowRollup bool
	denyDelete  bool
	denyPurge   bool
	allowTTL    bool
	config      string
}

func (f *streamFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringSliceVar(&f.subjects, "subjects", nil, "subjects the stream stores (comma separated or repeated)")
	fs.StringVar(&f.description, "description", "", "description")
	fs.StringVar(&f.storage, "storage", "file", "file or memory")
	fs.StringVar(&f.retention, "retention", "limits", "limits, interest or workqueue")
	fs.StringVar(&f.discard, "discard", "old", "what a full stream drops: old or new")
	fs.IntVar(&f.replicas, "replicas", 1, "replicas of each message")
	fs.Int64Var(&f.maxMsgs, "max-msgs", -1, "most messages kept (-1: unlimited)")
	fs.Int64Var(&f.maxBytes, "max-bytes", -1, "most bytes kept (-1: unlimited)")
	fs.DurationVar(&f.maxAge, "max-age", 0, "oldest message kept (0: unlimited)")
	fs.Int32Var(&f.maxMsgSize, "max-msg-size", -1, "largest message accepted (-1: unlimited)")
	fs.Int64Var(&f.maxPerSubj, "max-msgs-per-subject", -1, "most messages kept per subject (-1: unlimited)")
	fs.DurationVar(&f.dupeWindow, "dupe-window", 0, "duplicate tracking window (0: the server's, 2m)")
	fs.BoolVar(&f.allowDirect, "allow-direct", false, "serve direct get from every replica")
	fs.BoolVar(&f.allowRollup, "allow-rollup", false, "allow Nats-Rollup headers")
	fs.BoolVar(&f.denyDelete, "deny-delete", false, "refuse message deletes")
	fs.BoolVar(&f.denyPurge, "deny-purge", false, "refuse purges")
	fs.BoolVar(&f.allowTTL, "allow-msg-ttl", false, "allow per-message TTLs (Nats-TTL)")
	fs.StringVar(&f.config, "config", "", "a JSON stream configuration file (flags given beside it override it)")
}

// apply writes the flags the user set (all of them when all) into c.
func (f *streamFlags) apply(cmd *cobra.Command, c *js.StreamConfig, all bool) error {
	set := func(name string) bool { return all || cmd.Flags().Changed(name) }
	if set("subjects") && len(f.subjects) > 0 {
		c.Subjects = f.subjects
	}
	if set("description") {
		c.Description = f.description
	}
	if set("storage") {
		switch f.storage {
		case "file", "memory":
			c.Storage = js.StorageType(f.storage)
		default:
			return usageErrorf(cmd, "--storage must be file or memory, not %q", f.storage)
		}
	}
	if set("retention") {
		switch f.retention {
		case "limits", "interest", "workqueue":
			c.Retention = js.RetentionPolicy(f.retention)
		default:
			return usageErrorf(cmd, "--retention must be limits, interest or workqueue, not %q", f.retention)
		}
	}
	if set("discard") {
		switch f.discard {
		case "old", "new":
			c.Discard = js.DiscardPolicy(f.discard)
		default:
			return usageErrorf(cmd, "--discard must be old or new, not %q", f.discard)
		}
	}
	if set("replicas") {
		c.Replicas = f.replicas
	}
	if set("max-msgs") {
		c.MaxMsgs = f.maxMsgs
	}
	if set("max-bytes") {
		c.MaxBytes = f.maxBytes
	}
	if set("max-age") {
		c.MaxAge = f.maxAge
	}
	if set("max-msg-size") {
		c.MaxMsgSize = f.maxMsgSize
	}
	if set("max-msgs-per-subject") {
		c.MaxMsgsPerSubject = f.maxPerSubj
	}
	if set("dupe-window") && f.dupeWindow > 0 {
		c.DuplicateWindow = f.dupeWindow
	}
	flags := []struct {
		name string
		dst  *bool
		v    bool
	}{
		{"allow-direct", &c.AllowDirect, f.allowDirect},
		{"allow-rollup", &c.AllowRollup, f.allowRollup},
		{"deny-delete", &c.DenyDelete, f.denyDelete},
		{"deny-purge", &c.DenyPurge, f.denyPurge},
		{"allow-msg-ttl", &c.AllowMsgTTL, f.allowTTL},
	}
	for _, b := range flags {
		if set(b.name) {
			*b.dst = b.v
		}
	}
	return nil
}

// readConfigFile reads a JSON StreamConfig.
func readConfigFile(path string) (js.StreamConfig, error) {
	var c js.StreamConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func newStreamAddCommand(g *globals) *cobra.Command {
	var f streamFlags
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "add a stream",
		Long: `Adds a stream. Its configuration comes from the flags, or from --config (a JSON
file, as "starling stream info --json" prints under "config") with the flags given
beside it taking precedence.

Examples:
  starling stream add ORDERS --subjects 'orders.>' --max-age 24h
  starling stream add EVENTS --subjects events --storage memory --replicas 3`,
		Args: rangeArgs(0, 1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c js.StreamConfig
			all := true
			if f.config != "" {
				var err error
				if c, err = readConfigFile(f.config); err != nil {
					return err
				}
				all = false
			}
			if len(args) == 1 {
				c.Name = args[0]
			}
			if c.Name == "" {
				return usageErrorf(cmd, "want NAME (or a name in --config)")
			}
			if err := f.apply(cmd, &c, all); err != nil {
				return err
			}
			if len(c.Subjects) == 0 && c.Mirror == nil && len(c.Sources) == 0 {
				c.Subjects = []string{c.Name}
			}
			s, err := g.openJS(cmd, "starling stream add")
			if err != nil {
				return err
			}
			defer s.close()
			si, err := s.j.CreateStream(cmd.Context(), c)
			if err != nil {
				return fmt.Errorf("adding stream %q: %w", c.Name, err)
			}
			printStreamInfo(g.st.stdout, si)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newStreamEditCommand(g *globals) *cobra.Command {
	var f streamFlags
	cmd := &cobra.Command{
		Use:   "edit NAME",
		Short: "change a stream's configuration",
		Long: `Changes the configuration keys given as flags (or in --config) and keeps every
other key as the server has it, including keys this tool does not know.

Examples:
  starling stream edit ORDERS --max-age 48h --description "two days"`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openJS(cmd, "starling stream edit")
			if err != nil {
				return err
			}
			defer s.close()
			ctx := cmd.Context()
			si, err := s.j.StreamInfo(ctx, args[0])
			if err != nil {
				return fmt.Errorf("stream %q: %w", args[0], err)
			}
			c := si.Config
			if f.config != "" {
				fc, err := readConfigFile(f.config)
				if err != nil {
					return err
				}
				fc.Name = c.Name
				c = fc
			}
			if err := f.apply(cmd, &c, false); err != nil {
				return err
			}
			si, err = s.j.UpdateStream(ctx, c)
			if err != nil {
				return fmt.Errorf("editing stream %q: %w", args[0], err)
			}
			printStreamInfo(g.st.stdout, si)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newStreamLsCommand(g *globals) *cobra.Command {
	var names, asJSON bool
	var subject string
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "list streams",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.openJS(cmd, "starling stream ls")
			if err != nil {
				return err
			}
			defer s.close()
			ctx := cmd.Context()
			var opts []js.ListOption
			if subject != "" {
				opts = append(opts, js.WithStreamSubject(subject))
			}
			out := g.st.stdout
			if names {
				for n, err := range s.j.StreamNames(ctx, opts...) {
					if err != nil {
						return err
					}
					fmt.Fprintln(out, n)
				}
				return nil
			}
			var all []*js.StreamInfo
			for si, err := range s.j.Streams(ctx, opts...) {
				if err != nil {
					return err
				}
				all = append(all, si)
			}
			if asJSON {
				return writeJSON(out, all)
			}
			if len(all) == 0 {
				fmt.Fprintln(out, "No streams defined")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "Name\tDescription\tCreated\tMessages\tSize\tLast Message")
			for _, si := range all {
				last := "never"
				if si.State.Msgs > 0 {
					last = time.Since(si.State.LastTime).Round(time.Second).String() + " ago"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", si.Config.Name, si.Config.Description,
					si.Created.Local().Format("2006-01-02 15:04:05"), si.State.Msgs, humanBytes(si.State.Bytes), last)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&names, "names", "n", false, "print the names only")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stream infos as JSON")
	cmd.Flags().StringVar(&subject, "subject", "", "only streams that store this subject")
	return cmd
}

func newStreamInfoCommand(g *globals) *cobra.Command {
	var asJSON bool
	var subjects string
	cmd := &cobra.Command{
		Use:   "info NAME",
		Short: "show a stream's configuration and state",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openJS(cmd, "starling stream info")
			if err != nil {
				return err
			}
			defer s.close()
			var opts []js.InfoOption
			if subjects != "" {
				opts = append(opts, js.WithSubjectsFilter(subjects))
			}
			si, err := s.j.StreamInfo(cmd.Context(), args[0], opts...)
			if err != nil {
				return fmt.Errorf("stream %q: %w", args[0], err)
			}
			if asJSON {
				return writeJSON(g.st.stdout, si)
			}
			printStreamInfo(g.st.stdout, si)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stream info as JSON")
	cmd.Flags().StringVar(&subjects, "subjects", "", "also count the messages of each subject matching this filter")
	return cmd
}

func newStreamRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"delete"},
		Short:   "remove a stream and its messages",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return usageErrorf(cmd, "removing stream %q deletes its messages: add -f to confirm", args[0])
			}
			s, err := g.openJS(cmd, "starling stream rm")
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.j.DeleteStream(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("removing stream %q: %w", args[0], err)
			}
			fmt.Fprintf(g.st.stderr, "Removed stream %q\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove without asking")
	return cmd
}

func newStreamPurgeCommand(g *globals) *cobra.Command {
	var (
		force   bool
		subject string
		seq     uint64
		keep    uint64
	)
	cmd := &cobra.Command{
		Use:   "purge NAME",
		Short: "remove a stream's messages",
		Long: `Removes all of a stream's messages, or those on --subject, below --seq, or all
but the newest --keep.`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return usageErrorf(cmd, "purging stream %q deletes messages: add -f to confirm", args[0])
			}
			if seq > 0 && keep > 0 {
				return usageErrorf(cmd, "--seq and --keep exclude each other")
			}
			var opts []js.PurgeOption
			if subject != "" {
				opts = append(opts, js.PurgeFilter(subject))
			}
			if seq > 0 {
				opts = append(opts, js.PurgeSequence(seq))
			}
			if keep > 0 {
				opts = append(opts, js.PurgeKeep(keep))
			}
			s, err := g.openJS(cmd, "starling stream purge")
			if err != nil {
				return err
			}
			defer s.close()
			n, err := s.j.PurgeStream(cmd.Context(), args[0], opts...)
			if err != nil {
				return fmt.Errorf("purging stream %q: %w", args[0], err)
			}
			fmt.Fprintf(g.st.stderr, "Purged %d messages from %q\n", n, args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "purge without asking")
	cmd.Flags().StringVar(&subject, "subject", "", "purge only this subject (wildcards allowed)")
	cmd.Flags().Uint64Var(&seq, "seq", 0, "purge the messages below this sequence")
	cmd.Flags().Uint64Var(&keep, "keep", 0, "keep the newest N messages")
	return cmd
}

func newStreamGetCommand(g *globals) *cobra.Command {
	var (
		lastFor string
		asJSON  bool
		direct  bool
	)
	cmd := &cobra.Command{
		Use:   "get NAME [SEQ]",
		Short: "print a stored message",
		Long: `Prints the message at SEQ, or the last one on --last-for SUBJECT, read from the
stream's leader (or any replica with --direct).`,
		Args: rangeArgs(1, 2, "NAME [SEQ]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seq uint64
			if len(args) == 2 {
				n, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil || n == 0 {
					return usageErrorf(cmd, "SEQ must be a positive integer, not %q", args[1])
				}
				seq = n
			}
			if (seq == 0) == (lastFor == "") {
				return usageErrorf(cmd, "want SEQ or --last-for SUBJECT")
			}
			s, err := g.openJS(cmd, "starling stream get")
			if err != nil {
				return err
			}
			defer s.close()
			ctx := cmd.Context()
			m, err := getStored(ctx, s.j, args[0], seq, lastFor, direct)
			if err != nil {
				return err
			}
			out := g.st.stdout
			if asJSON {
				return writeJSON(out, m)
			}
			fmt.Fprintf(out, "Item: %s#%d received %s on Subject %s\n\n", m.Stream, m.Sequence, m.Time.Local().Format("2006-01-02 15:04:05"), m.Subject)
			if len(m.Header) > 0 {
				fmt.Fprintln(out, "Headers:")
				for _, k := range slices.Sorted(maps.Keys(m.Header)) {
					for _, v := range m.Header[k] {
						fmt.Fprintf(out, "  %s: %s\n", k, v)
					}
				}
				fmt.Fprintln(out)
			}
			fmt.Fprintln(out, string(m.Data))
			return nil
		},
	}
	cmd.Flags().StringVar(&lastFor, "last-for", "", "the last message on this subject")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the message as JSON")
	cmd.Flags().BoolVar(&direct, "direct", false, "read through direct get (the stream needs --allow-direct)")
	return cmd
}

func getStored(ctx context.Context, j *js.JetStream, stream string, seq uint64, lastFor string, direct bool) (*js.StoredMsg, error) {
	var m *js.StoredMsg
	var err error
	switch {
	case direct && seq > 0:
		m, err = j.DirectGet(ctx, stream, seq)
	case direct:
		m, err = j.DirectGetLast(ctx, stream, lastFor)
	case seq > 0:
		m, err = j.GetMsg(ctx, stream, seq)
	default:
		m, err = j.GetLastMsg(ctx, stream, lastFor)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", stream, err)
	}
	return m, nil
}

// printStreamInfo prints a stream's configuration and state as "nats
// stream info" lays them out.
func printStreamInfo(w interface{ Write([]byte) (int, error) }, si *js.StreamInfo) {
	c, st := si.Config, si.State
	fmt.Fprintf(w, "Information for Stream %s created %s\n\nConfiguration:\n\n", c.Name, si.Created.Local().Format(time.RFC3339))
	line := func(k string, v any) { fmt.Fprintf(w, "%24s: %v\n", k, v) }
	if c.Description != "" {
		line("Description", c.Description)
	}
	if len(c.Subjects) > 0 {
		line("Subjects", strings.Join(c.Subjects, ", "))
	}
	line("Replicas", c.Replicas)
	line("Storage", c.Storage)
	line("Retention", c.Retention)
	line("Discard Policy", c.Discard)
	line("Duplicate Window", c.DuplicateWindow)
	line("Allows Direct", c.AllowDirect)
	line("Allows Msg Delete", !c.DenyDelete)
	line("Allows Purge", !c.DenyPurge)
	line("Allows Rollups", c.AllowRollup)
	line("Allows Per-Message TTL", c.AllowMsgTTL)
	line("Maximum Messages", limit(c.MaxMsgs))
	line("Maximum Bytes", limit(c.MaxBytes))
	line("Maximum Age", ageLimit(c.MaxAge))
	line("Maximum Message Size", limit(int64(c.MaxMsgSize)))
	line("Maximum Per Subject", limit(c.MaxMsgsPerSubject))
	if c.Sealed {
		line("Sealed", true)
	}
	fmt.Fprint(w, "\nState:\n\n")
	line("Messages", st.Msgs)
	line("Bytes", humanBytes(st.Bytes))
	line("First Sequence", st.FirstSeq)
	line("Last Sequence", st.LastSeq)
	line("Deleted Messages", st.NumDeleted)
	line("Number of Subjects", st.NumSubjects)
	line("Active Consumers", st.Consumers)
	if len(st.Subjects) > 0 {
		fmt.Fprintln(w, "\nSubjects:")
		stw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range slices.Sorted(maps.Keys(st.Subjects)) {
			fmt.Fprintf(stw, "  %s\t%d\n", s, st.Subjects[s])
		}
		_ = stw.Flush()
	}
}

func limit(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}

func ageLimit(d time.Duration) string {
	if d <= 0 {
		return "unlimited"
	}
	return d.String()
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
