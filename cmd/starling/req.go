package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/core"
)

const reqLong = `Sends BODY to SUBJECT as a request and prints the reply. With --replies N
it waits for up to N replies (scatter-gather); --replies 0 collects every
reply until --timeout. Without BODY the body is read from stdin as for pub.
It fails (exit 1) when nobody listens on SUBJECT or no reply comes in time.

` + templateHelp + `

Examples:
  starling req service.echo ping
  starling req --replies 0 --timeout 1s discovery.ping ''`

func newReqCommand(g *globals) *cobra.Command {
	var (
		hdr     headerFlag
		replies int
		raw     bool
		tf      templateFlags
	)
	cmd := &cobra.Command{
		Use:   "req SUBJECT [BODY]",
		Short: "send a request and print the replies",
		Long:  reqLong,
		Args:  rangeArgs(1, 2, "SUBJECT [BODY]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if replies < 0 {
				return usageErrorf(cmd, "--replies must not be negative")
			}
			if err := checkSubject(cmd, args[0]); err != nil {
				return err
			}
			text, err := bodyArg(cmd, g.st, args, tf.forceStdin)
			if err != nil {
				return err
			}
			body, headers, err := tf.parse(cmd, text, hdr)
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
			l, err := g.open(cmd)
			if err != nil {
				return err
			}
			l.warnEmbedded("request")
			err = request(cmd.Context(), g.st, l, &core.Msg{Subject: args[0], Header: h, Data: data}, g.conn.timeout, replies, raw)
			if cerr := l.close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&replies, "replies", 1, "wait for N replies (0: all that come within --timeout)")
	fl.BoolVar(&raw, "raw", false, "print only reply bodies, one per line")
	fl.VarP(&hdr, "header", "H", "add a header KEY:VALUE (repeatable)")
	tf.register(fl)
	return cmd
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
