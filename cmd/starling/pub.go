package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/core"
)

const pubLong = `Publishes BODY to SUBJECT, --count times. Without BODY, the body is stdin
when stdin is not a terminal (a pipe or a file), else empty.

` + templateHelp + `

Examples:
  starling pub orders.new '{"id":1}'
  starling pub --templates -H Content-Type:text/plain --count 10 greet 'hello {{Count}}'
  echo hi | starling pub greet
  starling pub greet < body.bin`

func newPubCommand(g *globals) *cobra.Command {
	var (
		hdr   headerFlag
		count int
		sleep time.Duration
		reply string
		tf    templateFlags
	)
	cmd := &cobra.Command{
		Use:   "pub SUBJECT [BODY]",
		Short: "publish messages to a subject",
		Long:  pubLong,
		Args:  rangeArgs(1, 2, "SUBJECT [BODY]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 {
				return usageErrorf(cmd, "--count must be at least 1")
			}
			if sleep < 0 {
				return usageErrorf(cmd, "--sleep must not be negative")
			}
			subject := args[0]
			if err := checkSubject(cmd, subject); err != nil {
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
			l, err := g.open(cmd)
			if err != nil {
				return err
			}
			l.warnEmbedded("publish")
			sent, size, err := publishN(cmd.Context(), l, subject, reply, body, headers, count, sleep)
			if cerr := l.close(); err == nil {
				err = cerr
			}
			st := g.st
			switch {
			case err != nil && sent == 0:
				return err
			case err != nil:
				return fmt.Errorf("published %d of %d messages to %q: %w", sent, count, subject, err)
			case sent < count:
				fmt.Fprintf(st.stderr, "starling: interrupted after %d of %d messages to %q\n", sent, count, subject)
			case sent == 1:
				fmt.Fprintf(st.stderr, "Published %d bytes to %q\n", size, subject)
			default:
				fmt.Fprintf(st.stderr, "Published %d messages to %q\n", sent, subject)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&count, "count", 1, "publish N messages")
	fl.DurationVar(&sleep, "sleep", 0, "wait this long between messages")
	fl.StringVar(&reply, "reply", "", "ask for replies on this subject")
	fl.VarP(&hdr, "header", "H", "add a header KEY:VALUE (repeatable)")
	tf.register(fl)
	return cmd
}

// publishN publishes count messages and waits until the server has them. It
// stops early, without error, when ctx ends. It returns how many were sent
// and the size of the last body.
func publishN(ctx context.Context, l *link, subject, reply string, body *textTemplate, headers *headerTemplate, count int, sleep time.Duration) (sent, size int, err error) {
	nc, err := l.connect(ctx, "starling pub")
	if err != nil {
		return 0, 0, err
	}
	var pause *time.Timer
	if sleep > 0 {
		pause = time.NewTimer(sleep)
		defer pause.Stop()
	}
	for n := 1; n <= count; n++ {
		if ctx.Err() != nil {
			return sent, size, nil
		}
		data, err := body.render(n)
		if err != nil {
			return sent, size, err
		}
		hdr, err := headers.render(n)
		if err != nil {
			return sent, size, err
		}
		if hdr != nil || reply != "" {
			err = nc.PublishMsg(&core.Msg{Subject: subject, Reply: reply, Header: hdr, Data: data})
		} else {
			err = nc.Publish(subject, data)
		}
		if err != nil {
			return sent, size, err
		}
		sent, size = n, len(data)
		if pause != nil && n < count {
			// Flush first so that each message leaves when it is
			// published, not in a batch after the pause.
			if err := nc.Flush(ctx); err != nil && ctx.Err() == nil {
				return sent, size, err
			}
			pause.Reset(sleep)
			select {
			case <-pause.C:
			case <-ctx.Done():
				return sent, size, nil
			}
		}
	}
	// The server confirms what it received; bounded, since a server that
	// went away would otherwise keep the command waiting for a reconnect.
	fctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	if err := nc.Flush(fctx); err != nil && ctx.Err() == nil {
		return sent, size, fmt.Errorf("the server did not confirm the messages: %w", err)
	}
	return sent, size, nil
}
