package main

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// streamSubFlags are the options of "sub --stream": where in the stream
// to start. At most one of them is given; none means --all.
type streamSubFlags struct {
	stream         string
	all            bool
	new            bool
	last           bool
	lastPerSubject bool
	startSeq       uint64
	since          string
}

func (f *streamSubFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.stream, "stream", "", "read this JetStream stream through an ordered consumer (SUBJECTs filter it)")
	fl.BoolVar(&f.all, "all", false, "with --stream: deliver every message of the stream (the default)")
	fl.BoolVar(&f.new, "new", false, "with --stream: deliver only messages stored from now on")
	fl.BoolVar(&f.last, "last", false, "with --stream: deliver the last message, then new ones")
	fl.BoolVar(&f.lastPerSubject, "last-per-subject", false, "with --stream: deliver the last message of each subject, then new ones")
	fl.Uint64Var(&f.startSeq, "start-sequence", 0, "with --stream: deliver from this stream sequence on")
	// The name for it; --start-sequence is the nats CLI's.
	fl.Uint64Var(&f.startSeq, "start-seq", 0, "alias of --start-sequence")
	_ = fl.MarkHidden("start-seq")
	fl.StringVar(&f.since, "since", "", "with --stream: deliver messages stored in the last DURATION (90s, 2h, 3d, 1w)")
}

// starts are the start flags the command line holds.
func (f *streamSubFlags) starts(cmd *cobra.Command) []string {
	var given []string
	for _, name := range []string{"all", "new", "last", "last-per-subject", "start-sequence", "start-seq", "since"} {
		if cmd.Flags().Changed(name) {
			given = append(given, "--"+name)
		}
	}
	return given
}

// check refuses contradictory or meaningless start flags.
func (f *streamSubFlags) check(cmd *cobra.Command, queue string) error {
	given := f.starts(cmd)
	if f.stream == "" && !cmd.Flags().Changed("stream") {
		if len(given) > 0 {
			return usageErrorf(cmd, "%s needs --stream", given[0])
		}
		return nil
	}
	if len(given) > 1 {
		return usageErrorf(cmd, "%s and %s conflict: give one place to start", given[0], given[1])
	}
	if f.stream == "" && cmd.Flags().Changed("stream") || strings.ContainsAny(f.stream, ".*> \t\r\n") {
		return usageErrorf(cmd, "invalid stream name %q", f.stream)
	}
	if queue != "" {
		return usageErrorf(cmd, "--queue and --stream conflict: an ordered consumer has one reader")
	}
	if (cmd.Flags().Changed("start-sequence") || cmd.Flags().Changed("start-seq")) && f.startSeq == 0 {
		return usageErrorf(cmd, "--start-sequence must be at least 1")
	}
	if f.since != "" {
		if _, err := parseSince(f.since); err != nil {
			return usageErrorf(cmd, "--since: %v", err)
		}
	}
	return nil
}

// parseSince reads a duration as Go writes them, or a whole number of
// days (d) or weeks (w), which Go's parser lacks and ages are written in.
func parseSince(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil && len(s) > 1 {
		unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if n, nerr := strconv.ParseUint(s[:len(s)-1], 10, 32); unit != 0 && nerr == nil {
			d, err = time.Duration(n)*unit, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return d, nil
}

// config is the ordered consumer's config for the flags; si is the
// stream as it is now.
func (f *streamSubFlags) config(si *js.StreamInfo, filters []string) js.OrderedConsumerConfig {
	c := js.OrderedConsumerConfig{FilterSubjects: filters, DeliverPolicy: js.DeliverAll}
	switch {
	case f.new:
		// Not DeliverNew: "new" would count from when the consumer is
		// created, after the command said it is reading, so a message
		// published in between would be lost. The stream's last
		// sequence now is that moment.
		c.DeliverPolicy, c.OptStartSeq = js.DeliverByStartSequence, si.State.LastSeq+1
	case f.last:
		c.DeliverPolicy = js.DeliverLast
	case f.lastPerSubject:
		c.DeliverPolicy = js.DeliverLastPerSubject
		// The server wants a filter with this policy: the stream's
		// subjects are "every subject", as for the other policies.
		if len(filters) == 0 {
			c.FilterSubjects = si.Config.Subjects
			if len(c.FilterSubjects) == 0 { // a mirror or sources only
				c.FilterSubjects = []string{">"}
			}
		}
	case f.startSeq > 0:
		c.DeliverPolicy, c.OptStartSeq = js.DeliverByStartSequence, f.startSeq
	case f.since != "":
		d, _ := parseSince(f.since) // checked before
		t := time.Now().Add(-d)
		c.DeliverPolicy, c.OptStartTime = js.DeliverByStartTime, &t
	}
	return c
}

// subscribeStream prints the messages of a stream, in stream order, until
// count of them came or ctx ends.
func subscribeStream(ctx context.Context, g *globals, l *link, f *streamSubFlags, filters []string, count int, raw bool) error {
	nc, err := l.connect(ctx, "starling sub")
	if err != nil {
		return err
	}
	j, err := js.New(nc.Conn, js.WithTimeout(g.conn.timeout))
	if err != nil {
		return err
	}
	defer j.Close()
	// Asked first so that a missing stream is one clear error, and so
	// that --new knows where "now" is.
	si, err := j.StreamInfo(ctx, f.stream)
	if err != nil {
		return ignoreCancel(ctx, fmt.Errorf("stream %q: %w", f.stream, err))
	}
	oc, err := j.OrderedConsumer(ctx, f.stream, f.config(si, filters))
	if err != nil {
		return err
	}
	what := ""
	if len(filters) > 0 {
		quoted := make([]string, len(filters))
		for i, s := range filters {
			quoted[i] = strconv.Quote(s)
		}
		what = " on " + strings.Join(quoted, ", ")
	}
	fmt.Fprintf(g.st.stderr, "starling: reading stream %q%s on %s\n", f.stream, what, redact(nc.ConnectedURL()))
	out := bufio.NewWriter(g.st.stdout)
	defer out.Flush()
	n := 0
	for m, err := range oc.Messages(ctx) {
		if err != nil {
			return ignoreCancel(ctx, fmt.Errorf("stream %q: %w", f.stream, err))
		}
		n++
		md, mdErr := m.Metadata()
		if raw {
			out.Write(m.Data)
			out.WriteByte('\n')
		} else {
			cm := core.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
			printMsg(out, streamReceived(n, m.Subject, md, mdErr), &cm)
		}
		// Batch the writes of a catch-up, but never hold the last
		// message back while waiting for the next.
		if mdErr != nil || md.NumPending == 0 || n == count {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		if n == count {
			return nil
		}
	}
	return nil // ctx ended: a stop on request
}

// streamReceived is the title of message number n read from a stream,
// as the nats CLI titles it: where in the stream and when it was stored.
func streamReceived(n int, subject string, md js.MsgMetadata, err error) string {
	if err != nil {
		return fmt.Sprintf("[#%d] Received JetStream message: subject: %s", n, subject)
	}
	return fmt.Sprintf("[#%d] Received JetStream message: stream: %s seq %d / subject: %s / time: %s",
		n, md.Stream, md.StreamSeq, subject, md.Timestamp.Format(time.RFC3339))
}
