package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

const subLong = `Prints the messages on each SUBJECT (wildcards * and > allowed) until
Ctrl-C or --count messages in all. Each message is printed with its
subject, reply subject, headers and body; --raw prints only the bodies, one
per line.

With --stream, reads a JetStream stream instead, in order, through an
ordered consumer (no acks): every message of the stream, or those on the
SUBJECTs given, each titled with its stream sequence and time. Where to
start: --all (the default), --new, --last, --last-per-subject,
--start-sequence N or --since DURATION.

Examples:
  starling sub 'orders.>'
  starling sub --queue workers jobs.a jobs.b
  starling sub --count 1 --raw greet
  starling sub --stream ORDERS --since 1h orders.new`

func newSubCommand(g *globals) *cobra.Command {
	var (
		queue  string
		count  int
		raw    bool
		stream streamSubFlags
	)
	cmd := &cobra.Command{
		Use:   "sub [--stream STREAM] SUBJECT...",
		Short: "print the messages on one or more subjects, or of a stream",
		Long:  subLong,
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return usageErrorf(cmd, "--count must not be negative")
			}
			if err := stream.check(cmd, queue); err != nil {
				return err
			}
			if len(args) == 0 && !cmd.Flags().Changed("stream") {
				return usageErrorf(cmd, "want at least one SUBJECT, got 0 arguments")
			}
			for _, s := range args {
				if !codec.ValidSubscribeSubject(s) {
					return usageErrorf(cmd, "invalid subject %q", s)
				}
			}
			if queue != "" && !codec.ValidQueueName(queue) {
				return usageErrorf(cmd, "invalid queue group name %q", queue)
			}
			l, err := g.open(cmd)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("stream") {
				err = subscribeStream(cmd.Context(), g, l, &stream, args, count, raw)
			} else {
				err = subscribe(cmd.Context(), g.st, l, args, queue, count, raw)
			}
			if cerr := l.close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&queue, "queue", "", "join this queue group: each message goes to one member")
	fl.IntVar(&count, "count", 0, "exit after N messages in all (0: until Ctrl-C)")
	fl.BoolVar(&raw, "raw", false, "print only message bodies, one per line")
	stream.register(cmd)
	return cmd
}

// subscribe prints the messages on subjects until count of them came or
// ctx ends. Messages go to owned handlers, so that when ctx ends the
// connection's drain still prints every message the server sent before it
// learned of the end.
func subscribe(ctx context.Context, st *stdio, l *link, subjects []string, queue string, count int, raw bool) error {
	nc, err := l.connect(ctx, "starling sub")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(st.stdout)
	var (
		mu       sync.Mutex // the subscriptions' handlers may run at once
		n        int
		subs     []*core.Subscription
		ready    = make(chan struct{}) // subs is set
		reached  = make(chan struct{}) // count messages printed
		endCount sync.Once
	)
	handle := func(m *core.Msg) {
		<-ready
		mu.Lock()
		defer mu.Unlock()
		if count > 0 && n >= count {
			return
		}
		n++
		if raw {
			out.Write(m.Data)
			out.WriteByte('\n')
		} else {
			printMsg(out, received(n, m), m)
		}
		// Batch the writes of a burst, but never hold a message back
		// while waiting for the next.
		if pending(subs) == 0 || n == count {
			out.Flush()
		}
		if n == count {
			endCount.Do(func() { close(reached) })
		}
	}
	var opts []core.SubOption
	if queue != "" {
		opts = append(opts, core.Queue(queue))
	}
	mu.Lock()
	for _, subject := range subjects {
		sub, err := nc.Subscribe(subject, handle, opts...)
		if err != nil {
			mu.Unlock()
			close(ready)
			return err
		}
		if count > 0 {
			// No subscription needs more than count: the server stops
			// there even if the command is slow to leave.
			if err := sub.AutoUnsubscribe(count); err != nil {
				mu.Unlock()
				close(ready)
				return err
			}
		}
		subs = append(subs, sub)
	}
	mu.Unlock()
	close(ready)
	// The PONG says the server has the subscriptions: only now is it true
	// that publishes will be seen.
	if err := nc.Flush(ctx); err != nil {
		return ignoreCancel(ctx, err)
	}
	in := ""
	if queue != "" {
		in = fmt.Sprintf(" in queue group %q", queue)
	}
	quoted := make([]string, len(subjects))
	for i, s := range subjects {
		quoted[i] = strconv.Quote(s)
	}
	fmt.Fprintf(st.stderr, "starling: subscribed to %s%s on %s\n", strings.Join(quoted, ", "), in, redact(nc.ConnectedURL()))
	if l.embedded != nil {
		fmt.Fprintf(st.stderr, "starling: publish to it from another terminal: starling pub -s %s %s 'hello'\n", l.url, shellQuote(subjects[0]))
	}
	if count > 0 {
		select {
		case <-reached:
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			return nil
		case <-ctx.Done():
			return nil
		case <-nc.Closed():
			return nc.Err()
		}
	}
	return waitSubscription(ctx, nc, subs[0])
}

// pending is how many messages the subscriptions hold, not yet handled.
func pending(subs []*core.Subscription) int {
	total := 0
	for _, s := range subs {
		p, _ := s.Pending()
		total += p
	}
	return total
}

// waitSubscription waits until sub has delivered everything (its count
// reached), ctx ends (then the caller's drain delivers the rest), or the
// connection dies, whose error it returns.
func waitSubscription(ctx context.Context, nc *conn, sub *core.Subscription) error {
	select {
	case <-ctx.Done():
		return nil
	case <-sub.Done():
		// Done also closes when the connection dies: then say why.
		if !nc.IsClosed() {
			return nil
		}
		select {
		case <-nc.Closed():
		case <-time.After(drainTimeout):
		}
		return nc.Err()
	case <-nc.Closed():
		return nc.Err()
	}
}

// printMsg writes m as a person reads it, after the first line title:
//
//	[#1] Received on "orders.new" with reply "_INBOX.x"
//	Content-Type: text/plain
//
//	body
//
// An empty body prints as "nil body", as the nats CLI prints it.
func printMsg(w io.Writer, title string, m *core.Msg) {
	fmt.Fprint(w, title)
	if s := m.Status(); s != 0 {
		fmt.Fprintf(w, " (status %d", s)
		if d := m.Description(); d != "" {
			fmt.Fprintf(w, " %s", d)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if len(m.Header) > 0 {
		keys := make([]string, 0, len(m.Header))
		for k := range m.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range m.Header[k] {
				fmt.Fprintf(w, "%s: %s\n", k, v)
			}
		}
		fmt.Fprintln(w)
	}
	switch {
	case len(m.Data) == 0:
		// As the nats CLI prints it, so an empty body is seen, not missed.
		fmt.Fprintln(w, "nil body")
	default:
		w.Write(m.Data)
		if m.Data[len(m.Data)-1] != '\n' {
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

// received is the title of message number n in sub and reply.
func received(n int, m *core.Msg) string {
	t := fmt.Sprintf("[#%d] Received on %q", n, m.Subject)
	if m.Reply != "" {
		t += fmt.Sprintf(" with reply %q", m.Reply)
	}
	return t
}

// ignoreCancel turns the error of a command stopped by Ctrl-C into nil: a
// stop on request is a success.
func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
