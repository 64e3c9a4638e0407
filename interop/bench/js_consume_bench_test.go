package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// The consumer rows of docs/perf.md: b.N messages of 16 B stored in a file
// stream beforehand, then consumed with explicit acks (Consume) or read
// by an ordered consumer, by Starling (owned and borrowed handlers) and by
// nats.go's jetstream, against one nats-server process:
//
//	cd interop && go test ./bench -run '^$' -bench 'JetStreamConsume|JetStreamOrdered' -benchtime 50000x -count 5
//
// cpu-ns/msg is the client process's CPU per message (getrusage), msgs/s
// the rate from the first pull to the last handled message.

// consumeVariant fills nothing and consumes n messages of stream, returning
// once the handler has seen all of them.
type consumeVariant struct {
	name string
	run  func(ctx context.Context, url, stream string, n int) error
}

func BenchmarkJetStreamConsume16B(b *testing.B) {
	runConsume(b, []consumeVariant{
		{"starling-owned", starlingConsume(false)},
		{"starling-borrowed", starlingConsume(true)},
		{"nats.go", natsConsume},
	})
}

func BenchmarkJetStreamOrdered16B(b *testing.B) {
	runConsume(b, []consumeVariant{
		{"starling", starlingOrdered},
		{"nats.go", natsOrdered},
	})
}

func runConsume(b *testing.B, variants []consumeVariant) {
	s, err := harness.Start(harness.WithProcess(), harness.WithJetStream(), harness.WithName("jscbench"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c, err := openStarlingJS(s.ClientURL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			name := "JSC" + strconv.Itoa(b.N)
			if err := c.createStream(ctx, name, "jsc."+name); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.deleteStream(ctx, name) }()
			if err := c.publishAsync(ctx, "jsc."+name, make([]byte, 16), b.N); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0, t0 := processCPU(), time.Now()
			b.ResetTimer()
			if err := v.run(ctx, s.ClientURL(), name, b.N); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			wall, cpu := time.Since(t0), processCPU()-cpu0
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
			b.ReportMetric(float64(b.N)/wall.Seconds(), "msgs/s")
		})
	}
}

func starlingConsume(borrowed bool) func(ctx context.Context, url, stream string, n int) error {
	return func(ctx context.Context, url, stream string, n int) error {
		cl, err := openStarlingJS(url)
		if err != nil {
			return err
		}
		c := cl.(*starlingJS)
		defer c.close()
		cons, err := c.j.CreateConsumer(ctx, stream, js.ConsumerConfig{Durable: "b", AckPolicy: js.AckExplicit})
		if err != nil {
			return err
		}
		all := make(chan struct{})
		seen := 0
		var cc *js.ConsumeContext
		if borrowed {
			cc, err = cons.ConsumeBorrowed(func(m *js.BorrowedMsg) {
				_ = m.Ack()
				if seen++; seen == n {
					close(all)
				}
			})
		} else {
			cc, err = cons.Consume(func(m *js.Msg) {
				_ = m.Ack()
				if seen++; seen == n {
					close(all)
				}
			})
		}
		if err != nil {
			return err
		}
		defer cc.Stop()
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func natsConsume(ctx context.Context, url, stream string, n int) error {
	cl, err := openNatsJS(url)
	if err != nil {
		return err
	}
	c := cl.(*natsJS)
	defer c.close()
	cons, err := c.j.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: "b", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return err
	}
	all := make(chan struct{})
	seen := 0
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		if seen++; seen == n {
			close(all)
		}
	})
	if err != nil {
		return err
	}
	defer cc.Stop()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func starlingOrdered(ctx context.Context, url, stream string, n int) error {
	cl, err := openStarlingJS(url)
	if err != nil {
		return err
	}
	c := cl.(*starlingJS)
	defer c.close()
	oc, err := c.j.OrderedConsumer(ctx, stream, js.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	seen := 0
	for _, err := range oc.Messages(ctx) {
		if err != nil {
			return err
		}
		if seen++; seen == n {
			return nil
		}
	}
	return ctx.Err()
}

func natsOrdered(ctx context.Context, url, stream string, n int) error {
	cl, err := openNatsJS(url)
	if err != nil {
		return err
	}
	c := cl.(*natsJS)
	defer c.close()
	oc, err := c.j.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	it, err := oc.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	for seen := 0; seen < n; seen++ {
		if _, err := it.Next(); err != nil {
			return err
		}
	}
	return nil
}
