package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// kvSession is a command's KV store on its JetStream session.
type kvSession struct {
	*jsSession
	store *kv.Store
}

func (g *globals) openKV(cmd *cobra.Command, name string) (*kvSession, error) {
	s, err := g.openJS(cmd, name)
	if err != nil {
		return nil, err
	}
	store, err := kv.New(s.j)
	if err != nil {
		_ = s.close()
		return nil, err
	}
	return &kvSession{jsSession: s, store: store}, nil
}

// bucket opens a bucket for a command that works on one.
func (g *globals) openBucket(cmd *cobra.Command, name, bucket string) (*kvSession, *kv.Bucket, error) {
	s, err := g.openKV(cmd, name)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.store.Bucket(cmd.Context(), bucket)
	if err != nil {
		_ = s.close()
		return nil, nil, fmt.Errorf("opening bucket %q: %w", bucket, err)
	}
	return s, b, nil
}

func newKVCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "use and manage Key-Value buckets",
		Long: `Adds, lists, shows and removes Key-Value buckets and reads, writes and watches
their keys, in the habits of "nats kv". Buckets are JetStream streams
(KV_<bucket>), so the nats CLI and nats.go share them.

Examples:
  starling kv add CONFIG --history 5
  starling kv put CONFIG app.mode fast
  starling kv get CONFIG app.mode
  starling kv watch CONFIG 'app.>'`,
	}
	cmd.AddCommand(
		newKVAddCommand(g),
		newKVPutCommand(g),
		newKVGetCommand(g),
		newKVCreateCommand(g),
		newKVUpdateCommand(g),
		newKVDelCommand(g),
		newKVPurgeCommand(g),
		newKVWatchCommand(g),
		newKVLsCommand(g),
		newKVHistoryCommand(g),
		newKVStatusCommand(g),
		newKVRmCommand(g),
	)
	return cmd
}

func newKVAddCommand(g *globals) *cobra.Command {
	var (
		cfg         kv.Config
		storage     string
		compression bool
	)
	cmd := &cobra.Command{
		Use:   "add BUCKET",
		Short: "create a bucket",
		Args:  exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Bucket = args[0]
			switch storage {
			case "file", "memory":
				cfg.Storage = js.StorageType(storage)
			default:
				return usageErrorf(cmd, "--storage must be file or memory, not %q", storage)
			}
			cfg.Compression = compression
			s, err := g.openKV(cmd, "starling kv add")
			if err != nil {
				return err
			}
			defer s.close()
			b, err := s.store.Create(cmd.Context(), cfg)
			if err != nil {
				return usageIfInvalid(cmd, fmt.Errorf("creating bucket %q: %w", args[0], err))
			}
			st, err := b.Status(cmd.Context())
			if err != nil {
				return err
			}
			printKVStatus(g.st.stdout, st)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cfg.History, "history", 1, "values kept per key (1 to 64)")
	fl.DurationVar(&cfg.TTL, "ttl", 0, "how long values live (0: forever)")
	fl.Int32Var(&cfg.MaxValueSize, "max-value-size", 0, "largest value in bytes (0: unlimited)")
	fl.Int64Var(&cfg.MaxBytes, "max-bucket-size", 0, "largest bucket in bytes (0: unlimited)")
	fl.IntVar(&cfg.Replicas, "replicas", 1, "replicas of each value")
	fl.StringVar(&storage, "storage", "file", "file or memory")
	fl.StringVar(&cfg.Description, "description", "", "description")
	fl.BoolVar(&compression, "compress", false, "compress values with S2")
	fl.DurationVar(&cfg.LimitMarkerTTL, "marker-ttl", 0, "place markers when values expire, kept this long; enables per-key TTLs (nats-server 2.11+)")
	return cmd
}

// usageIfInvalid turns a refused name or setting into a usage error
// (exit 2); other errors stay as they are.
func usageIfInvalid(cmd *cobra.Command, err error) error {
	for _, e := range []error{kv.ErrInvalidBucketName, kv.ErrInvalidKey, kv.ErrHistoryTooLarge, kv.ErrInvalidConfig, kv.ErrInvalidOption} {
		if errors.Is(err, e) {
			return usageErrorf(cmd, "%v", err)
		}
	}
	return err
}

// valueArg is the VALUE argument, or stdin when it is absent.
func valueArg(cmd *cobra.Command, g *globals, args []string, at int) ([]byte, error) {
	if len(args) > at {
		return []byte(args[at]), nil
	}
	if g.st.stdin == nil || g.st.stdinIsTerminal {
		return nil, usageErrorf(cmd, "VALUE missing (give it as an argument or pipe it in)")
	}
	v, err := readAllLimited(g.st.stdin)
	return []byte(v), err
}

func newKVPutCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "put BUCKET KEY [VALUE]",
		Short: "store a value (VALUE from stdin when it is piped in)",
		Args:  rangeArgs(2, 3, "BUCKET KEY [VALUE]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			val, err := valueArg(cmd, g, args, 2)
			if err != nil {
				return err
			}
			s, b, err := g.openBucket(cmd, "starling kv put", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			rev, err := b.Put(cmd.Context(), args[1], val)
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			fmt.Fprintln(g.st.stdout, rev)
			return nil
		},
	}
}

func newKVCreateCommand(g *globals) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "create BUCKET KEY [VALUE]",
		Short: "store a value only if the key has none",
		Args:  rangeArgs(2, 3, "BUCKET KEY [VALUE]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			val, err := valueArg(cmd, g, args, 2)
			if err != nil {
				return err
			}
			var opts []kv.WriteOption
			if ttl > 0 {
				opts = append(opts, kv.KeyTTL(ttl))
			}
			s, b, err := g.openBucket(cmd, "starling kv create", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			rev, err := b.Create(cmd.Context(), args[1], val, opts...)
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			fmt.Fprintln(g.st.stdout, rev)
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "the value expires after this (the bucket needs --marker-ttl)")
	return cmd
}

func newKVUpdateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "update BUCKET KEY VALUE REVISION",
		Short: "store a value only if the key's latest revision is REVISION",
		Args:  exactArgs(4, "BUCKET KEY VALUE REVISION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rev, err := strconv.ParseUint(args[3], 10, 64)
			if err != nil {
				return usageErrorf(cmd, "REVISION %q is not a number", args[3])
			}
			s, b, err := g.openBucket(cmd, "starling kv update", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			n, err := b.Update(cmd.Context(), args[1], []byte(args[2]), rev)
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			fmt.Fprintln(g.st.stdout, n)
			return nil
		},
	}
}

func newKVGetCommand(g *globals) *cobra.Command {
	var (
		revision uint64
		raw      bool
	)
	cmd := &cobra.Command{
		Use:   "get BUCKET KEY",
		Short: "print a key's value",
		Args:  exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, b, err := g.openBucket(cmd, "starling kv get", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			var e *kv.Entry
			if revision > 0 {
				e, err = b.GetRevision(cmd.Context(), args[1], revision)
			} else {
				e, err = b.Get(cmd.Context(), args[1])
			}
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			if raw {
				_, err = g.st.stdout.Write(e.Value)
				return err
			}
			fmt.Fprintf(g.st.stdout, "%s > %s revision %d created %s\n\n%s\n", e.Bucket, e.Key, e.Revision, e.Created.Format(time.RFC3339), e.Value)
			return nil
		},
	}
	cmd.Flags().Uint64Var(&revision, "revision", 0, "the value at this revision")
	cmd.Flags().BoolVar(&raw, "raw", false, "print only the value")
	return cmd
}

func newKVDelCommand(g *globals) *cobra.Command {
	var rev uint64
	cmd := &cobra.Command{
		Use:     "del BUCKET KEY",
		Aliases: []string{"rm-key"},
		Short:   "delete a key (its history is kept)",
		Args:    exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []kv.WriteOption
			if rev > 0 {
				opts = append(opts, kv.LastRevision(rev))
			}
			s, b, err := g.openBucket(cmd, "starling kv del", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			return usageIfInvalid(cmd, b.Delete(cmd.Context(), args[1], opts...))
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "only if the key's latest revision is this")
	return cmd
}

func newKVPurgeCommand(g *globals) *cobra.Command {
	var (
		rev uint64
		ttl time.Duration
	)
	cmd := &cobra.Command{
		Use:   "purge BUCKET KEY",
		Short: "delete a key and its history",
		Args:  exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []kv.WriteOption
			if rev > 0 {
				opts = append(opts, kv.LastRevision(rev))
			}
			if ttl > 0 {
				opts = append(opts, kv.KeyTTL(ttl))
			}
			s, b, err := g.openBucket(cmd, "starling kv purge", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			return usageIfInvalid(cmd, b.Purge(cmd.Context(), args[1], opts...))
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "only if the key's latest revision is this")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "the purge marker itself expires after this")
	return cmd
}

func newKVWatchCommand(g *globals) *cobra.Command {
	var history, updatesOnly, ignoreDeletes bool
	cmd := &cobra.Command{
		Use:   "watch BUCKET [KEY...]",
		Short: "print changes to a bucket's keys until Ctrl-C",
		Long: `Prints the current value of each matching key, then every change, until
Ctrl-C. KEY may use '*' tokens and a last '>'.`,
		Args: minArgs(1, "BUCKET [KEY...]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []kv.WatchOption
			if history {
				opts = append(opts, kv.IncludeHistory())
			}
			if updatesOnly {
				opts = append(opts, kv.UpdatesOnly())
			}
			if ignoreDeletes {
				opts = append(opts, kv.IgnoreDeletes())
			}
			s, b, err := g.openBucket(cmd, "starling kv watch", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			w, err := b.Watch(cmd.Context(), args[1:], opts...)
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			defer w.Stop()
			for e, err := range w.Entries(cmd.Context()) {
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return nil
					}
					return err
				}
				if e == nil {
					fmt.Fprintln(g.st.stderr, "-- end of initial data")
					continue
				}
				printEntry(g.st.stdout, e)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&history, "history", false, "start with every stored revision, not only the latest")
	cmd.Flags().BoolVar(&updatesOnly, "updates-only", false, "print only changes made from now on")
	cmd.Flags().BoolVar(&ignoreDeletes, "ignore-deletes", false, "skip deletes and purges")
	return cmd
}

func printEntry(w io.Writer, e *kv.Entry) {
	if e.Operation == kv.OpPut {
		fmt.Fprintf(w, "[%s] PUT %s > %s: %s\n", e.Created.Format("2006-01-02 15:04:05"), e.Bucket, e.Key, e.Value)
		return
	}
	reason := ""
	if e.MarkerReason != "" {
		reason = " (" + e.MarkerReason + ")"
	}
	fmt.Fprintf(w, "[%s] %s %s > %s%s\n", e.Created.Format("2006-01-02 15:04:05"), e.Operation, e.Bucket, e.Key, reason)
}

func newKVLsCommand(g *globals) *cobra.Command {
	var names bool
	cmd := &cobra.Command{
		Use:   "ls [BUCKET [FILTER...]]",
		Short: "list buckets, or a bucket's keys",
		Args:  minArgs(0, "[BUCKET [FILTER...]]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				s, b, err := g.openBucket(cmd, "starling kv ls", args[0])
				if err != nil {
					return err
				}
				defer s.close()
				for k, err := range b.Keys(cmd.Context(), args[1:]...) {
					if err != nil {
						return usageIfInvalid(cmd, err)
					}
					fmt.Fprintln(g.st.stdout, k)
				}
				return nil
			}
			s, err := g.openKV(cmd, "starling kv ls")
			if err != nil {
				return err
			}
			defer s.close()
			if names {
				for n, err := range s.store.Names(cmd.Context()) {
					if err != nil {
						return err
					}
					fmt.Fprintln(g.st.stdout, n)
				}
				return nil
			}
			tw := tabwriter.NewWriter(g.st.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "Bucket\tValues\tSize\tHistory\tTTL\tDescription")
			for st, err := range s.store.List(cmd.Context()) {
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", st.Bucket, st.Values, humanBytes(st.Bytes), st.History, ageLimit(st.TTL), st.Info.Config.Description)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&names, "names", "n", false, "print only bucket names")
	return cmd
}

func newKVHistoryCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "history BUCKET KEY",
		Short: "print every stored revision of a key",
		Args:  exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, b, err := g.openBucket(cmd, "starling kv history", args[0])
			if err != nil {
				return err
			}
			defer s.close()
			tw := tabwriter.NewWriter(g.st.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "Revision\tOp\tCreated\tLength\tValue")
			for e, err := range b.History(cmd.Context(), args[1]) {
				if err != nil {
					return usageIfInvalid(cmd, err)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", e.Revision, e.Operation, e.Created.Format(time.RFC3339), len(e.Value), shorten(string(e.Value), 40))
			}
			return tw.Flush()
		},
	}
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func newKVStatusCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "status BUCKET",
		Aliases: []string{"info"},
		Short:   "print a bucket's configuration and state",
		Args:    exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openKV(cmd, "starling kv status")
			if err != nil {
				return err
			}
			defer s.close()
			st, err := s.store.Status(cmd.Context(), args[0])
			if err != nil {
				return usageIfInvalid(cmd, err)
			}
			if asJSON {
				return writeJSON(g.st.stdout, st.Info)
			}
			printKVStatus(g.st.stdout, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stream info as JSON")
	return cmd
}

func printKVStatus(w io.Writer, st *kv.Status) {
	fmt.Fprintf(w, "Information for Key-Value Store Bucket %s\n\n", st.Bucket)
	fmt.Fprintf(w, "  Values Stored: %d\n", st.Values)
	fmt.Fprintf(w, "  History Kept: %d\n", st.History)
	fmt.Fprintf(w, "  Values Expire After: %s\n", ageLimit(st.TTL))
	if st.LimitMarkerTTL > 0 {
		fmt.Fprintf(w, "  Limit Markers Kept: %s\n", st.LimitMarkerTTL)
	}
	fmt.Fprintf(w, "  Size: %s\n", humanBytes(st.Bytes))
	fmt.Fprintf(w, "  Storage: %s\n", st.Storage)
	fmt.Fprintf(w, "  Replicas: %d\n", st.Replicas)
	fmt.Fprintf(w, "  Compressed: %t\n", st.Compressed)
	fmt.Fprintf(w, "  Backing Store: %s stream %s\n", st.BackingStore, st.Info.Config.Name)
}

func newKVRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm BUCKET",
		Short: "remove a bucket and its values",
		Args:  exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return usageErrorf(cmd, "removing bucket %q deletes its values: add -f to confirm", args[0])
			}
			s, err := g.openKV(cmd, "starling kv rm")
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.store.Delete(cmd.Context(), args[0]); err != nil {
				return usageIfInvalid(cmd, fmt.Errorf("removing bucket %q: %w", args[0], err))
			}
			fmt.Fprintf(g.st.stderr, "Removed bucket %q\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove without asking")
	return cmd
}
