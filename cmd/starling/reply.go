package main

import (
	"bufio"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// defaultReplyQueue is the nats CLI's queue group for "nats reply", so
// that starling and nats repliers on one subject share the requests.
const defaultReplyQueue = "NATS-RPLY-22"

const replyLong = `Answers each request on SUBJECT with BODY (or, with --echo, with the
request's own body and headers) until Ctrl-C or --count requests, printing
each request as sub does. Repliers join a queue group, so several of them
share the requests; --queue '' makes each answer every request.

` + templateHelp + ` ({{Count}} counts requests.)

Examples:
  starling reply --templates service.time '{{TimeStamp}}'
  starling reply --echo service.echo`

func newReplyCommand(g *globals) *cobra.Command {
	var (
		hdr   headerFlag
		queue string
		count int
		echo  bool
		quiet bool
		tf    templateFlags
	)
	cmd := &cobra.Command{
		Use:   "reply SUBJECT [BODY]",
		Short: "answer requests on a subject",
		Long:  replyLong,
		Args:  rangeArgs(1, 2, "SUBJECT [BODY]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case echo && len(args) == 2:
				return usageErrorf(cmd, "give a BODY or --echo, not both")
			case !echo && len(args) == 1:
				return usageErrorf(cmd, "give a BODY to answer with, or --echo")
			case count < 0:
				return usageErrorf(cmd, "--count must not be negative")
			case !codec.ValidSubscribeSubject(args[0]):
				return usageErrorf(cmd, "invalid subject %q", args[0])
			}
			r := &replier{echo: echo, quiet: quiet}
			text := ""
			if !echo {
				text = args[1]
			}
			var err error
			if r.body, r.headers, err = tf.parse(cmd, text, hdr); err != nil {
				return err
			}
			l, err := g.open(cmd)
			if err != nil {
				return err
			}
			err = r.serve(cmd.Context(), g.st, l, args[0], queue, count)
			if cerr := l.close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&queue, "queue", defaultReplyQueue, "queue group name ('' for none)")
	fl.IntVar(&count, "count", 0, "exit after answering N requests (0: until Ctrl-C)")
	fl.BoolVar(&echo, "echo", false, "answer with the request's body and headers")
	fl.BoolVar(&quiet, "quiet", false, "do not print the requests")
	fl.VarP(&hdr, "header", "H", "add a header KEY:VALUE to replies (repeatable)")
	tf.register(fl)
	return cmd
}

type replier struct {
	echo    bool
	quiet   bool
	body    *textTemplate
	headers *headerTemplate
}

func (r *replier) serve(ctx context.Context, st *stdio, l *link, subject, queue string, count int) error {
	nc, err := l.connect(ctx, "starling reply")
	if err != nil {
		return err
	}
	var opts []core.SubOption
	if queue != "" {
		opts = append(opts, core.Queue(queue))
	}
	var sub *core.Subscription
	ready := make(chan struct{}) // sub is set
	if sub, err = nc.Subscribe(subject, r.handler(st, count, &sub, ready), opts...); err != nil {
		return err
	}
	close(ready)
	if err := nc.Flush(ctx); err != nil {
		return ignoreCancel(ctx, err)
	}
	in := ""
	if queue != "" {
		in = fmt.Sprintf(" in queue group %q", queue)
	}
	fmt.Fprintf(st.stderr, "starling: answering requests on %q%s on %s\n", subject, in, redact(nc.ConnectedURL()))
	if l.embedded != nil {
		fmt.Fprintf(st.stderr, "starling: send one from another terminal: starling req -s %s %s 'hello'\n", l.url, shellQuote(subject))
	}
	return waitSubscription(ctx, nc, sub)
}

// handler answers each request; after count of them it unsubscribes, so
// that nothing more is taken from the queue group.
func (r *replier) handler(st *stdio, count int, sub **core.Subscription, ready <-chan struct{}) func(*core.Msg) {
	out := bufio.NewWriter(st.stdout)
	n, seen := 0, 0 // answered, received
	return func(m *core.Msg) {
		<-ready
		if count > 0 && n >= count {
			return
		}
		seen++
		if !r.quiet {
			printMsg(out, received(seen, m), m)
			out.Flush()
		}
		if m.Reply == "" {
			fmt.Fprintf(st.stderr, "starling: message on %q has no reply subject: not answered\n", m.Subject)
			return
		}
		n++
		if err := r.respond(m, n); err != nil {
			fmt.Fprintf(st.stderr, "starling: answering request #%d: %v\n", n, err)
		}
		if count > 0 && n == count {
			_ = (*sub).Unsubscribe()
		}
	}
}

func (r *replier) respond(m *core.Msg, n int) error {
	hdr, err := r.headers.render(n)
	if err != nil {
		return err
	}
	if r.echo {
		if len(m.Header) > 0 {
			if hdr == nil {
				hdr = core.Header{}
			} else {
				hdr = cloneHeader(hdr)
			}
			for k, vs := range m.Header {
				for _, v := range vs {
					hdr.Add(k, v)
				}
			}
		}
		return m.RespondMsg(&core.Msg{Header: hdr, Data: m.Data})
	}
	data, err := r.body.render(n)
	if err != nil {
		return err
	}
	if hdr == nil {
		return m.Respond(data)
	}
	return m.RespondMsg(&core.Msg{Header: hdr, Data: data})
}

func cloneHeader(h core.Header) core.Header {
	c := make(core.Header, len(h))
	for k, vs := range h {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
