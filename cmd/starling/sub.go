package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
)

func init() {
	register(command{
		name:    "sub",
		summary: "subscribe to a subject and print what arrives",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return subCommand(ctx, osStdio(stdout, stderr), args)
		},
	})
}

const subAbout = `Prints the messages on SUBJECT (wildcards * and > allowed) until Ctrl-C or
--count messages. Each message is printed with its subject, reply subject,
headers and body; --raw prints only the bodies, one per line.

Without a server, an embedded one is started and its URL printed, so that
another terminal can publish to it:
  starling sub 'orders.>'
  starling pub -s nats://127.0.0.1:PORT orders.new hello`

// subCommand is "starling sub".
func subCommand(ctx context.Context, st *stdio, args []string) error {
	fs := newFlagSet("sub", "sub [flags] SUBJECT", subAbout, st.stderr)
	var cf connFlags
	queue := fs.String("queue", "", "join queue group `NAME`: each message goes to one member")
	count := fs.Int("count", 0, "exit after `N` messages (0: until Ctrl-C)")
	raw := fs.Bool("raw", false, "print only message bodies, one per line")
	cf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("sub", "want one SUBJECT, got %d arguments", len(pos))
	}
	if *count < 0 {
		return usageErrorf("sub", "--count must not be negative")
	}
	l, err := cf.open("sub", st)
	if err != nil {
		return err
	}
	err = subscribe(ctx, st, l, pos[0], *queue, *count, *raw)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	return err
}

// subscribe prints the messages on subject until count of them came or ctx
// ends. Messages go to an owned handler, so that when ctx ends the
// connection's drain still prints every message the server sent before it
// learned of the end.
func subscribe(ctx context.Context, st *stdio, l *link, subject, queue string, count int, raw bool) error {
	nc, err := l.connect(ctx, "starling sub")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(st.stdout)
	n := 0
	var sub *core.Subscription
	ready := make(chan struct{}) // sub is set
	handle := func(m *core.Msg) {
		<-ready
		n++
		if raw {
			out.Write(m.Data)
			out.WriteByte('\n')
		} else {
			printMsg(out, received(n, m), m)
		}
		// Batch the writes of a burst, but never hold a message back
		// while waiting for the next.
		if p, _ := sub.Pending(); p == 0 {
			out.Flush()
		}
	}
	var opts []core.SubOption
	if queue != "" {
		opts = append(opts, core.Queue(queue))
	}
	if sub, err = nc.Subscribe(subject, handle, opts...); err != nil {
		return err
	}
	close(ready)
	if count > 0 {
		if err := sub.AutoUnsubscribe(count); err != nil {
			return err
		}
	}
	// The PONG says the server has the subscription: only now is it true
	// that publishes will be seen.
	if err := nc.Flush(ctx); err != nil {
		return ignoreCancel(ctx, err)
	}
	in := ""
	if queue != "" {
		in = fmt.Sprintf(" in queue group %q", queue)
	}
	fmt.Fprintf(st.stderr, "starling: subscribed to %q%s on %s\n", subject, in, redact(nc.ConnectedURL()))
	if l.embedded != nil {
		fmt.Fprintf(st.stderr, "starling: publish to it from another terminal: starling pub -s %s %s 'hello'\n", l.url, shellQuote(subject))
	}
	return waitSubscription(ctx, nc, sub)
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
	w.Write(m.Data)
	if len(m.Data) > 0 && m.Data[len(m.Data)-1] != '\n' {
		fmt.Fprintln(w)
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
