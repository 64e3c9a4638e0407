package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/starling-nats/starling/core"
)

func init() {
	register(command{
		name:    "req",
		summary: "send a request and print the replies",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return reqCommand(ctx, osStdio(stdout, stderr), args)
		},
	})
}

// defaultReqTimeout is the nats CLI's.
const defaultReqTimeout = 5 * time.Second

const reqAbout = `Sends BODY to SUBJECT as a request and prints the reply. With --replies N
it waits for up to N replies (scatter-gather); --replies 0 collects every
reply until --timeout. Without BODY the body is read from stdin as for pub.
It fails when nobody listens on SUBJECT or no reply comes in time.

` + templateHelp + `

Examples:
  starling req service.echo ping
  starling req --replies 0 --timeout 1s 'discovery.ping' ''`

// reqCommand is "starling req".
func reqCommand(ctx context.Context, st *stdio, args []string) error {
	fs := newFlagSet("req", "req [flags] SUBJECT [BODY]", reqAbout, st.stderr)
	var cf connFlags
	var hdr headerFlag
	timeout := fs.Duration("timeout", defaultReqTimeout, "wait at most `D` for the replies")
	replies := fs.Int("replies", 1, "wait for `N` replies (0: all that come within --timeout)")
	raw := fs.Bool("raw", false, "print only reply bodies, one per line")
	forceStdin := fs.Bool("force-stdin", false, "read the body from stdin")
	fs.Var(&hdr, "header", "add header `KEY:VALUE` (repeatable)")
	fs.alias("H", "header")
	cf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErrorf("req", "want SUBJECT [BODY], got %d arguments", len(pos))
	}
	if *timeout <= 0 {
		return usageErrorf("req", "--timeout must be positive")
	}
	if *replies < 0 {
		return usageErrorf("req", "--replies must not be negative")
	}
	text, err := bodyArg(st, pos, *forceStdin)
	if err != nil {
		return err
	}
	body, err := parseTemplate("BODY", text)
	if err != nil {
		return err
	}
	headers, err := parseHeaderTemplate(hdr)
	if err != nil {
		return err
	}
	data, err := body.render(1)
	if err != nil {
		return err
	}
	h, err := headers.render(1)
	if err != nil {
		return err
	}
	l, err := cf.open("req", st)
	if err != nil {
		return err
	}
	err = request(ctx, st, l, &core.Msg{Subject: pos[0], Header: h, Data: data}, *timeout, *replies, *raw)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	return err
}

func request(ctx context.Context, st *stdio, l *link, m *core.Msg, timeout time.Duration, replies int, raw bool) error {
	nc, err := l.connect(ctx, "starling req")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(st.stdout)
	defer out.Flush()
	show := func(n int, r *core.Msg, rtt time.Duration) {
		if raw {
			out.Write(r.Data)
			out.WriteByte('\n')
		} else {
			printMsg(out, fmt.Sprintf("[#%d] Received with rtt %v", n, rtt.Round(time.Microsecond)), r)
		}
		out.Flush()
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !raw {
		fmt.Fprintf(st.stderr, "starling: sending request on %q\n", m.Subject)
	}
	start := time.Now()
	if replies == 1 {
		r, err := nc.RequestMsg(rctx, m)
		if err != nil {
			return requestError(ctx, m.Subject, timeout, err)
		}
		show(1, r, time.Since(start))
		return nil
	}
	var opts []core.RequestOption
	if replies > 0 {
		opts = append(opts, core.MaxMessages(replies))
	}
	n := 0
	for r, err := range nc.RequestManyMsg(rctx, m, opts...) {
		if err != nil {
			return requestError(ctx, m.Subject, timeout, err)
		}
		n++
		show(n, r, time.Since(start))
	}
	switch {
	case ctx.Err() != nil:
		return nil
	case n == 0:
		return fmt.Errorf("no reply on %q within %v", m.Subject, timeout)
	case replies > 0 && n < replies:
		fmt.Fprintf(st.stderr, "starling: %d of %d replies within %v\n", n, replies, timeout)
	}
	return nil
}

// requestError says what went wrong in the user's terms.
func requestError(ctx context.Context, subject string, timeout time.Duration, err error) error {
	switch {
	case ctx.Err() != nil:
		return nil // Ctrl-C
	case errors.Is(err, core.ErrNoResponders):
		return fmt.Errorf("%w on %q", err, subject)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no reply on %q within %v", subject, timeout)
	}
	return err
}
