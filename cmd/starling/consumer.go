package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/js"
)

func newConsumerCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "consumer",
		Aliases: []string{"con"},
		Short:   "manage JetStream consumers",
		Long: `Adds, lists, shows, pauses, resumes and removes the consumers of a stream, and
pulls their messages, in the habits of "nats consumer".`,
	}
	cmd.AddCommand(
		newConsumerAddCommand(g),
		newConsumerLsCommand(g),
		newConsumerInfoCommand(g),
		newConsumerRmCommand(g),
		newConsumerNextCommand(g),
		newConsumerPauseCommand(g),
		newConsumerResumeCommand(g),
	)
	return cmd
}

// consumerFlags are the config flags of add.
type consumerFlags struct {
	filters       []string
	deliver       string
	startSeq      uint64
	ack           string
	ackWait       time.Duration
	maxDeliver    int
	maxAckPending int
	maxWaiting    int
	replicas      int
	memory        bool
	description   string
	inactive      time.Duration
	pushTo        string
	pushGroup     string
	heartbeat     time.Duration
	flowControl   bool
}

func (f *consumerFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringSliceVar(&f.filters, "filter", nil, "subjects to consume (comma separated or repeated; default: all)")
	fs.StringVar(&f.deliver, "deliver", "all", "where to start: all, last, new, last_per_subject, or a stream sequence")
	fs.StringVar(&f.ack, "ack", "explicit", "ack policy: explicit, all or none")
	fs.DurationVar(&f.ackWait, "wait", 0, "how long a message waits for its ack before redelivery (0: the server's, 30s)")
	fs.IntVar(&f.maxDeliver, "max-deliver", 0, "most deliveries of one message (0: unlimited)")
	fs.IntVar(&f.maxAckPending, "max-pending", 0, "most messages awaiting acks (0: the server's, 1000)")
	fs.IntVar(&f.maxWaiting, "max-waiting", 0, "most waiting pulls (0: the server's, 512)")
	fs.IntVar(&f.replicas, "replicas", 0, "replicas (0: the stream's)")
	fs.BoolVar(&f.memory, "memory", false, "keep the consumer's state in memory")
	fs.StringVar(&f.description, "description", "", "description")
	fs.DurationVar(&f.inactive, "inactive-threshold", 0, "remove the consumer after this long unused (0: never for a durable)")
	fs.StringVar(&f.pushTo, "target", "", "make a push consumer delivering to this subject")
	fs.StringVar(&f.pushGroup, "deliver-group", "", "queue group of a push consumer")
	fs.DurationVar(&f.heartbeat, "heartbeat", 0, "idle heartbeat of a push consumer")
	fs.BoolVar(&f.flowControl, "flow-control", false, "flow control of a push consumer (needs --heartbeat)")
}

func (f *consumerFlags) config(cmd *cobra.Command, name string) (js.ConsumerConfig, error) {
	c := js.ConsumerConfig{
		Durable:           name,
		Description:       f.description,
		AckWait:           f.ackWait,
		MaxDeliver:        f.maxDeliver,
		MaxAckPending:     f.maxAckPending,
		MaxWaiting:        f.maxWaiting,
		Replicas:          f.replicas,
		MemoryStorage:     f.memory,
		InactiveThreshold: f.inactive,
		DeliverSubject:    f.pushTo,
		DeliverGroup:      f.pushGroup,
		Heartbeat:         f.heartbeat,
		FlowControl:       f.flowControl,
	}
	switch len(f.filters) {
	case 0:
	case 1:
		c.FilterSubject = f.filters[0]
	default:
		c.FilterSubjects = f.filters
	}
	switch f.ack {
	case "explicit", "all", "none":
		c.AckPolicy = js.AckPolicy(f.ack)
	default:
		return c, usageErrorf(cmd, "--ack must be explicit, all or none, not %q", f.ack)
	}
	switch f.deliver {
	case "all", "last", "new", "last_per_subject":
		c.DeliverPolicy = js.DeliverPolicy(f.deliver)
	default:
		var seq uint64
		if _, err := fmt.Sscan(f.deliver, &seq); err != nil || seq == 0 {
			return c, usageErrorf(cmd, "--deliver must be all, last, new, last_per_subject or a sequence, not %q", f.deliver)
		}
		c.DeliverPolicy, c.OptStartSeq = js.DeliverByStartSequence, seq
	}
	if c.MaxWaiting > 0 && c.DeliverSubject != "" {
		return c, usageErrorf(cmd, "--max-waiting is for pull consumers, not with --target")
	}
	return c, nil
}

func newConsumerAddCommand(g *globals) *cobra.Command {
	var f consumerFlags
	cmd := &cobra.Command{
		Use:   "add STREAM NAME",
		Short: "add a durable consumer",
		Long: `Adds a durable consumer to a stream: a pull consumer, or a push consumer with
--target.

Examples:
  starling consumer add ORDERS billing --filter 'orders.new' --wait 1m
  starling consumer add ORDERS audit --deliver new --ack none --target audit.in`,
		Args: exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.config(cmd, args[1])
			if err != nil {
				return err
			}
			s, err := g.openJS(cmd, "starling consumer add")
			if err != nil {
				return err
			}
			defer s.close()
			cons, err := s.j.CreateConsumer(cmd.Context(), args[0], c)
			if err != nil {
				return fmt.Errorf("adding consumer %q to %q: %w", args[1], args[0], err)
			}
			printConsumerInfo(g.st.stdout, cons.CachedInfo())
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newConsumerLsCommand(g *globals) *cobra.Command {
	var names, asJSON bool
	cmd := &cobra.Command{
		Use:     "ls STREAM",
		Aliases: []string{"list"},
		Short:   "list a stream's consumers",
		Args:    exactArgs(1, "STREAM"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openJS(cmd, "starling consumer ls")
			if err != nil {
				return err
			}
			defer s.close()
			ctx, out := cmd.Context(), g.st.stdout
			if names {
				for n, err := range s.j.ConsumerNames(ctx, args[0]) {
					if err != nil {
						return err
					}
					fmt.Fprintln(out, n)
				}
				return nil
			}
			var all []*js.ConsumerInfo
			for ci, err := range s.j.Consumers(ctx, args[0]) {
				if err != nil {
					return err
				}
				all = append(all, ci)
			}
			if asJSON {
				return writeJSON(out, all)
			}
			if len(all) == 0 {
				fmt.Fprintf(out, "No consumers on stream %s\n", args[0])
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "Name\tDescription\tCreated\tAck Pending\tUnprocessed\tLast Delivery")
			for _, ci := range all {
				last := "never"
				if t := ci.Delivered.LastActive; t != nil {
					last = time.Since(*t).Round(time.Second).String() + " ago"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", ci.Name, ci.Config.Description,
					ci.Created.Local().Format("2006-01-02 15:04:05"), ci.NumAckPending, ci.NumPending, last)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&names, "names", "n", false, "print the names only")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the consumer infos as JSON")
	return cmd
}

func newConsumerInfoCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info STREAM NAME",
		Short: "show a consumer's configuration and state",
		Args:  exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openJS(cmd, "starling consumer info")
			if err != nil {
				return err
			}
			defer s.close()
			ci, err := s.j.ConsumerInfo(cmd.Context(), args[0], args[1])
			if err != nil {
				return fmt.Errorf("consumer %q on %q: %w", args[1], args[0], err)
			}
			if asJSON {
				return writeJSON(g.st.stdout, ci)
			}
			printConsumerInfo(g.st.stdout, ci)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the consumer info as JSON")
	return cmd
}

func newConsumerRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm STREAM NAME",
		Aliases: []string{"delete"},
		Short:   "remove a consumer",
		Args:    exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return usageErrorf(cmd, "removing consumer %q forgets its acks: add -f to confirm", args[1])
			}
			s, err := g.openJS(cmd, "starling consumer rm")
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.j.DeleteConsumer(cmd.Context(), args[0], args[1]); err != nil {
				return fmt.Errorf("removing consumer %q from %q: %w", args[1], args[0], err)
			}
			fmt.Fprintf(g.st.stdout, "Removed consumer %s from stream %s\n", args[1], args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove without asking")
	return cmd
}

func newConsumerNextCommand(g *globals) *cobra.Command {
	var count int
	var noAck, raw bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "next STREAM NAME",
		Short: "pull messages from a consumer and ack them",
		Long: `Pulls --count messages, one at a time, prints each and acknowledges it (unless
--no-ack). Stops at the first pull that ends without a message.

Examples:
  starling consumer next ORDERS billing --count 10`,
		Args: exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count <= 0 {
				return usageErrorf(cmd, "--count must be at least 1")
			}
			s, err := g.openJS(cmd, "starling consumer next")
			if err != nil {
				return err
			}
			defer s.close()
			c, err := s.j.ConsumerHandle(args[0], args[1])
			if err != nil {
				return err
			}
			out := g.st.stdout
			for i := 0; i < count; i++ {
				m, err := c.Next(cmd.Context(), js.PullExpiry(wait))
				if err != nil {
					return fmt.Errorf("pull from %q on %q: %w", args[1], args[0], err)
				}
				printConsumerMsg(out, m, raw)
				if !noAck {
					if err := m.DoubleAck(cmd.Context()); err != nil {
						return fmt.Errorf("ack: %w", err)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&count, "count", 1, "messages to pull")
	cmd.Flags().BoolVar(&noAck, "no-ack", false, "do not acknowledge")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the payloads only")
	cmd.Flags().DurationVar(&wait, "wait", 5*time.Second, "how long each pull waits for a message")
	return cmd
}

func newConsumerPauseCommand(g *globals) *cobra.Command {
	var until string
	cmd := &cobra.Command{
		Use:   "pause STREAM NAME",
		Short: "pause a consumer's deliveries",
		Long: `Pauses deliveries until --until: a duration from now (1h) or an RFC 3339 time.

Examples:
  starling consumer pause ORDERS billing --until 30m`,
		Args: exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseUntil(until)
			if err != nil {
				return usageErrorf(cmd, "--until: %v", err)
			}
			s, err := g.openJS(cmd, "starling consumer pause")
			if err != nil {
				return err
			}
			defer s.close()
			p, err := s.j.PauseConsumer(cmd.Context(), args[0], args[1], t)
			if err != nil {
				return fmt.Errorf("pausing consumer %q on %q: %w", args[1], args[0], err)
			}
			fmt.Fprintf(g.st.stdout, "Paused consumer %s until %s (%s)\n", args[1], p.PauseUntil.Local().Format(time.RFC3339), p.PauseRemaining.Round(time.Second))
			return nil
		},
	}
	cmd.Flags().StringVar(&until, "until", "1h", "a duration from now or an RFC 3339 time")
	return cmd
}

func parseUntil(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q is not in the future", s)
		}
		return time.Now().Add(d), nil
	}
	return time.Parse(time.RFC3339, s)
}

func newConsumerResumeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume STREAM NAME",
		Short: "resume a paused consumer",
		Args:  exactArgs(2, "STREAM NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openJS(cmd, "starling consumer resume")
			if err != nil {
				return err
			}
			defer s.close()
			if _, err := s.j.ResumeConsumer(cmd.Context(), args[0], args[1]); err != nil {
				return fmt.Errorf("resuming consumer %q on %q: %w", args[1], args[0], err)
			}
			fmt.Fprintf(g.st.stdout, "Resumed consumer %s\n", args[1])
			return nil
		},
	}
}

func printConsumerMsg(w io.Writer, m *js.Msg, raw bool) {
	if raw {
		fmt.Fprintf(w, "%s\n", m.Data)
		return
	}
	md, _ := m.Metadata()
	fmt.Fprintf(w, "[%s] subj: %s / tries: %d / cons seq: %d / str seq: %d / pending: %d\n\n",
		md.Timestamp.Local().Format("15:04:05"), m.Subject, md.NumDelivered, md.ConsumerSeq, md.StreamSeq, md.NumPending)
	for k, vs := range m.Header {
		for _, v := range vs {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	if len(m.Header) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\n\n", m.Data)
}

func printConsumerInfo(w io.Writer, ci *js.ConsumerInfo) {
	c := ci.Config
	fmt.Fprintf(w, "Information for Consumer %s > %s created %s\n\nConfiguration:\n\n", ci.Stream, ci.Name, ci.Created.Local().Format(time.RFC3339))
	line := func(k string, v any) { fmt.Fprintf(w, "%24s: %v\n", k, v) }
	if c.Durable != "" {
		line("Durable Name", c.Durable)
	} else {
		line("Name", ci.Name)
	}
	if c.Description != "" {
		line("Description", c.Description)
	}
	if c.DeliverSubject != "" {
		line("Delivery Subject", c.DeliverSubject)
	} else {
		line("Pull Mode", true)
	}
	if c.FilterSubject != "" {
		line("Filter Subject", c.FilterSubject)
	}
	if len(c.FilterSubjects) > 0 {
		line("Filter Subjects", strings.Join(c.FilterSubjects, ", "))
	}
	line("Deliver Policy", c.DeliverPolicy)
	if c.OptStartSeq > 0 {
		line("Start Sequence", c.OptStartSeq)
	}
	line("Ack Policy", c.AckPolicy)
	if c.AckWait > 0 {
		line("Ack Wait", c.AckWait)
	}
	if c.MaxDeliver > 0 {
		line("Maximum Deliveries", c.MaxDeliver)
	}
	line("Max Ack Pending", c.MaxAckPending)
	if c.MaxWaiting > 0 {
		line("Max Waiting Pulls", c.MaxWaiting)
	}
	if c.Heartbeat > 0 {
		line("Idle Heartbeat", c.Heartbeat)
	}
	if c.FlowControl {
		line("Flow Control", true)
	}
	if c.InactiveThreshold > 0 {
		line("Inactive Threshold", c.InactiveThreshold)
	}
	fmt.Fprintf(w, "\nState:\n\n")
	line("Last Delivered Message", fmt.Sprintf("Consumer sequence: %d Stream sequence: %d", ci.Delivered.Consumer, ci.Delivered.Stream))
	line("Acknowledgment Floor", fmt.Sprintf("Consumer sequence: %d Stream sequence: %d", ci.AckFloor.Consumer, ci.AckFloor.Stream))
	line("Outstanding Acks", ci.NumAckPending)
	line("Redelivered Messages", ci.NumRedelivered)
	line("Unprocessed Messages", ci.NumPending)
	line("Waiting Pulls", ci.NumWaiting)
	if ci.Paused {
		line("Paused", fmt.Sprintf("true, %s remaining", ci.PauseRemaining.Round(time.Second)))
	}
}
