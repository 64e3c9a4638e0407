package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

func newJSCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "js",
		Short: "JetStream: publish with acknowledgements",
	}
	cmd.AddCommand(newJSPubCommand(g))
	return cmd
}

// jsPubFlags are the options of "js pub".
type jsPubFlags struct {
	hdr          headerFlag
	msgID        string
	expStream    string
	expLastSeq   int64
	expSubjSeq   int64
	expLastMsgID string
	ttl          time.Duration
	count        int
	async        bool
}

func newJSPubCommand(g *globals) *cobra.Command {
	var f jsPubFlags
	cmd := &cobra.Command{
		Use:   "pub SUBJECT [BODY]",
		Short: "publish to a stream and wait for its acknowledgement",
		Long: `Publishes BODY (stdin when it is piped in) to SUBJECT, --count times, and prints
the stream's acknowledgement of each: stream, sequence, duplicate. A message with
--msg-id whose acknowledgement is lost is republished with the same ID until the
stream answers: a duplicate answer means the first was stored. With --count above 1
the ID gets the message's number appended. --async publishes without waiting for
each acknowledgement, then waits for them all.

Examples:
  starling js pub orders.new '{"id":1}' --msg-id order-1
  starling js pub orders.new '{"id":2}' --expect-last-subject-seq 1
  starling js pub --count 100000 --async events 'e'`,
		Args: rangeArgs(1, 2, "SUBJECT [BODY]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.count < 1 {
				return usageErrorf(cmd, "--count must be at least 1")
			}
			subject := args[0]
			if err := checkSubject(cmd, subject); err != nil {
				return err
			}
			body, err := bodyArg(cmd, g.st, args, false)
			if err != nil {
				return err
			}
			opts, err := f.options(cmd)
			if err != nil {
				return err
			}
			s, err := g.openJS(cmd, "starling js pub")
			if err != nil {
				return err
			}
			defer s.close()
			return jsPublish(cmd.Context(), g, s.j, &f, subject, []byte(body), opts)
		},
	}
	fs := cmd.Flags()
	fs.VarP(&f.hdr, "header", "H", "a header KEY:VALUE (repeatable)")
	fs.StringVar(&f.msgID, "msg-id", "", "the message ID the stream deduplicates on (Nats-Msg-Id)")
	fs.StringVar(&f.expStream, "expect-stream", "", "refuse unless this stream stores the message")
	fs.Int64Var(&f.expLastSeq, "expect-last-seq", -1, "refuse unless the stream's last sequence is this")
	fs.Int64Var(&f.expSubjSeq, "expect-last-subject-seq", -1, "refuse unless the subject's last sequence is this (0: none yet)")
	fs.StringVar(&f.expLastMsgID, "expect-last-msg-id", "", "refuse unless the stream's last message ID is this")
	fs.DurationVar(&f.ttl, "ttl", 0, "the message's time to live (the stream needs --allow-msg-ttl)")
	fs.IntVar(&f.count, "count", 1, "publish this many messages")
	fs.BoolVar(&f.async, "async", false, "publish without waiting for each acknowledgement")
	return cmd
}

// options turns the flags into publish options (the MsgID is per message).
func (f *jsPubFlags) options(cmd *cobra.Command) ([]js.PubOption, error) {
	var opts []js.PubOption
	if f.expStream != "" {
		opts = append(opts, js.ExpectStream(f.expStream))
	}
	if f.expLastSeq >= 0 {
		opts = append(opts, js.ExpectLastSequence(uint64(f.expLastSeq)))
	}
	if f.expSubjSeq >= 0 {
		opts = append(opts, js.ExpectLastSubjectSequence(uint64(f.expSubjSeq)))
	}
	if f.expLastMsgID != "" {
		opts = append(opts, js.ExpectLastMsgID(f.expLastMsgID))
	}
	if cmd.Flags().Changed("ttl") {
		if f.ttl < time.Second {
			return nil, usageErrorf(cmd, "--ttl must be at least 1s")
		}
		opts = append(opts, js.TTL(f.ttl))
	}
	return opts, nil
}

func jsPublish(ctx context.Context, g *globals, j *js.JetStream, f *jsPubFlags, subject string, data []byte, base []js.PubOption) error {
	out, st := g.st.stdout, g.st.stderr
	hdr := f.hdr.header()
	progress := f.count > 1 && g.st.stderrIsTerminal
	lastReport := time.Now()
	var futs []*js.PubAckFuture
	for n := 1; n <= f.count; n++ {
		if ctx.Err() != nil {
			fmt.Fprintf(st, "starling: interrupted after %d of %d messages\n", n-1, f.count)
			return nil
		}
		opts := base
		if f.msgID != "" {
			id := f.msgID
			if f.count > 1 {
				id += "-" + strconv.Itoa(n)
			}
			opts = append(opts[:len(opts):len(opts)], js.MsgID(id))
		}
		m := &core.Msg{Subject: subject, Header: hdr, Data: data}
		if f.async {
			fut, err := j.PublishMsgAsync(ctx, m, opts...)
			if err != nil {
				return fmt.Errorf("message %d of %d: %w", n, f.count, err)
			}
			futs = append(futs, fut)
		} else {
			ack, err := j.PublishMsg(ctx, m, opts...)
			if err != nil {
				return fmt.Errorf("message %d of %d: %w", n, f.count, err)
			}
			if f.count == 1 {
				printAck(out, ack)
			}
		}
		if progress && time.Since(lastReport) >= time.Second {
			fmt.Fprintf(st, "\rpublished %d of %d", n, f.count)
			lastReport = time.Now()
		}
	}
	if progress {
		fmt.Fprintln(st)
	}
	if f.async {
		failed := 0
		var first error
		for i, fut := range futs {
			ack, err := fut.Wait(ctx)
			if err != nil {
				failed++
				if first == nil {
					first = fmt.Errorf("message %d: %w", i+1, err)
				}
				continue
			}
			if f.count == 1 {
				printAck(out, ack)
			}
		}
		if first != nil {
			return fmt.Errorf("%d of %d messages not acknowledged, first: %w", failed, f.count, first)
		}
	}
	if f.count > 1 {
		fmt.Fprintf(st, "Published %d messages to %q, all acknowledged\n", f.count, subject)
	}
	return nil
}

func printAck(w interface{ Write([]byte) (int, error) }, ack *js.PubAck) {
	dup := ""
	if ack.Duplicate {
		dup = " (duplicate)"
	}
	dom := ""
	if ack.Domain != "" {
		dom = " domain " + ack.Domain
	}
	fmt.Fprintf(w, "Stored in stream %s%s sequence %d%s\n", ack.Stream, dom, ack.Sequence, dup)
}
