package js_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// exampleJS starts a throwaway JetStream server and returns a context on
// it; a real program connects to its own servers instead.
func exampleJS() (*js.JetStream, func()) {
	s, err := harness.Start(harness.WithJetStream())
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	j, err := js.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	return j, func() { j.Close(); nc.Close(); s.Stop() }
}

func ExampleNew() {
	s, err := harness.Start(harness.WithJetStream())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// A domain or an API prefix, and the timeout of calls whose context
	// has no deadline.
	j, err := js.New(nc, js.WithTimeout(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer j.Close()
	ai, err := j.AccountInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("streams:", ai.Streams, "api level >= 1:", ai.API.Level >= 1)
	// Output: streams: 0 api level >= 1: true
}

func ExampleJetStream_CreateStream() {
	j, stop := exampleJS()
	defer stop()
	ctx := context.Background()

	si, err := j.CreateStream(ctx, js.StreamConfig{
		Name:     "ORDERS",
		Subjects: []string{"orders.>"},
		MaxAge:   24 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(si.Config.Name, si.Config.Storage, si.Config.MaxAge)

	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"other"}})
	fmt.Println(errors.Is(err, js.ErrStreamNameInUse))
	// Output:
	// ORDERS file 24h0m0s
	// true
}

func ExampleJetStream_Publish() {
	j, stop := exampleJS()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		log.Fatal(err)
	}

	// With a MsgID, an ack lost on the way back is resolved by
	// republishing the same ID until ctx ends: the stream stores one copy.
	ack, err := j.Publish(ctx, "orders.new", []byte(`{"id":1}`), js.MsgID("order-1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ack.Stream, ack.Sequence, ack.Duplicate)
	ack, _ = j.Publish(ctx, "orders.new", []byte(`{"id":1}`), js.MsgID("order-1"))
	fmt.Println(ack.Stream, ack.Sequence, ack.Duplicate)

	_, err = j.Publish(ctx, "orders.new", nil, js.ExpectLastSequence(7))
	fmt.Println(errors.Is(err, js.ErrWrongLastSequence))
	_, err = j.Publish(ctx, "nobody.listens", nil)
	fmt.Println(errors.Is(err, js.ErrNoStreamResponse))
	// Output:
	// ORDERS 1 false
	// ORDERS 1 true
	// true
	// true
}

func ExampleJetStream_PublishAsync() {
	j, stop := exampleJS()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: "EVENTS", Subjects: []string{"events"}}); err != nil {
		log.Fatal(err)
	}

	futs := make([]*js.PubAckFuture, 0, 100)
	for i := 0; i < 100; i++ {
		// Waits for room when 4000 (WithPublishAsyncMaxPending) wait for
		// their ack.
		f, err := j.PublishAsync(ctx, "events", []byte("e"))
		if err != nil {
			log.Fatal(err)
		}
		futs = append(futs, f)
	}
	if err := j.PublishAsyncComplete(ctx); err != nil {
		log.Fatal(err)
	}
	last, err := futs[99].Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(last.Sequence, j.PublishAsyncPending())
	// Output: 100 0
}

func ExampleJetStream_DirectGet() {
	j, stop := exampleJS()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "PRICES", Subjects: []string{"prices.>"}, AllowDirect: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range []string{"prices.a", "prices.b", "prices.a"} {
		if _, err := j.Publish(ctx, p, []byte(p)); err != nil {
			log.Fatal(err)
		}
	}

	m, err := j.DirectGet(ctx, "PRICES", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Sequence, m.Subject)
	m, err = j.DirectGetLast(ctx, "PRICES", "prices.a")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Sequence, m.Subject)
	for m, err := range j.DirectGetMultiLast(ctx, "PRICES", js.DirectMultiLast{Subjects: []string{"prices.*"}}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("last", m.Subject, m.Sequence)
	}
	// Output:
	// 2 prices.b
	// 3 prices.a
	// last prices.b 2
	// last prices.a 3
}
