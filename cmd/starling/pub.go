package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/starling-nats/starling/core"
)

func init() {
	register(command{
		name:    "pub",
		summary: "publish messages to a subject",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return pubCommand(ctx, osStdio(stdout, stderr), args)
		},
	})
}

const pubAbout = `Publishes BODY to SUBJECT, --count times. Without BODY the body is read
from stdin when data is piped in (--force-stdin where no terminal is
attached), else it is empty.

` + templateHelp + `

Examples:
  starling pub orders.new '{"id":1}'
  starling pub -H Content-Type:text/plain --count 10 greet 'hello {{Count}}'
  echo hi | starling pub greet`

// pubCommand is "starling pub".
func pubCommand(ctx context.Context, st *stdio, args []string) error {
	fs := newFlagSet("pub", "pub [flags] SUBJECT [BODY]", pubAbout, st.stderr)
	var cf connFlags
	var hdr headerFlag
	count := fs.Int("count", 1, "publish `N` messages")
	sleep := fs.Duration("sleep", 0, "wait `D` between messages")
	reply := fs.String("reply", "", "ask for replies on `SUBJECT`")
	forceStdin := fs.Bool("force-stdin", false, "read the body from stdin")
	fs.Var(&hdr, "header", "add header `KEY:VALUE` (repeatable)")
	fs.alias("H", "header")
	cf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErrorf("pub", "want SUBJECT [BODY], got %d arguments", len(pos))
	}
	if *count < 1 {
		return usageErrorf("pub", "--count must be at least 1")
	}
	if *sleep < 0 {
		return usageErrorf("pub", "--sleep must not be negative")
	}
	subject := pos[0]
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

	l, err := cf.open("pub", st)
	if err != nil {
		return err
	}
	sent, size, err := publishN(ctx, l, subject, *reply, body, headers, *count, *sleep)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil && sent == 0:
		return err
	case err != nil:
		return fmt.Errorf("published %d of %d messages to %q: %w", sent, *count, subject, err)
	case sent < *count:
		fmt.Fprintf(st.stderr, "starling: interrupted after %d of %d messages to %q\n", sent, *count, subject)
	case sent == 1:
		fmt.Fprintf(st.stderr, "Published %d bytes to %q\n", size, subject)
	default:
		fmt.Fprintf(st.stderr, "Published %d messages to %q\n", sent, subject)
	}
	return nil
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
