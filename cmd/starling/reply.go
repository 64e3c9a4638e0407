package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/starling-nats/starling/core"
)

func init() {
	register(command{
		name:    "reply",
		summary: "answer requests on a subject",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return replyCommand(ctx, osStdio(stdout, stderr), args)
		},
	})
}

// defaultReplyQueue is the nats CLI's queue group for "nats reply", so
// that starling and nats repliers on one subject share the requests.
const defaultReplyQueue = "NATS-RPLY-22"

const replyAbout = `Answers each request on SUBJECT with BODY (or, with --echo, with the
request's own body and headers) until Ctrl-C or --count requests, printing
each request as sub does. Repliers join a queue group, so several of them
share the requests; --queue '' makes each answer every request.

` + templateHelp + ` ({{Count}} counts requests.)

Examples:
  starling reply service.time '{{TimeStamp}}'
  starling reply --echo service.echo`

// replyCommand is "starling reply".
func replyCommand(ctx context.Context, st *stdio, args []string) error {
	fs := newFlagSet("reply", "reply [flags] SUBJECT [BODY]", replyAbout, st.stderr)
	var cf connFlags
	var hdr headerFlag
	queue := fs.String("queue", defaultReplyQueue, "queue group `NAME` ('' for none)")
	count := fs.Int("count", 0, "exit after answering `N` requests (0: until Ctrl-C)")
	echo := fs.Bool("echo", false, "answer with the request's body and headers")
	quiet := fs.Bool("quiet", false, "do not print the requests")
	fs.Var(&hdr, "header", "add header `KEY:VALUE` to replies (repeatable)")
	fs.alias("H", "header")
	cf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) < 1 || len(pos) > 2:
		return usageErrorf("reply", "want SUBJECT [BODY], got %d arguments", len(pos))
	case *echo && len(pos) == 2:
		return usageErrorf("reply", "give a BODY or --echo, not both")
	case !*echo && len(pos) == 1:
		return usageErrorf("reply", "give a BODY to answer with, or --echo")
	case *count < 0:
		return usageErrorf("reply", "--count must not be negative")
	}
	r := &replier{echo: *echo, quiet: *quiet}
	if !*echo {
		if r.body, err = parseTemplate("BODY", pos[1]); err != nil {
			return err
		}
	}
	if r.headers, err = parseHeaderTemplate(hdr); err != nil {
		return err
	}
	l, err := cf.open("reply", st)
	if err != nil {
		return err
	}
	err = r.serve(ctx, st, l, pos[0], *queue, *count)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	return err
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
