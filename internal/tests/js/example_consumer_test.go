package js_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/starling-nats/starling/js"
)

// exampleStream creates stream ORDERS on orders.> holding three orders.
func exampleStream(ctx context.Context, j *js.JetStream) {
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{"1", "2", "3"} {
		if _, err := j.Publish(ctx, "orders.new", []byte("order "+id)); err != nil {
			log.Fatal(err)
		}
	}
}

func ExampleConsumer_Consume() {
	j, done := exampleJS()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exampleStream(ctx, j)

	c, err := j.CreateConsumer(ctx, "ORDERS", js.ConsumerConfig{Durable: "billing", AckPolicy: js.AckExplicit})
	if err != nil {
		log.Fatal(err)
	}
	got := make(chan string, 3)
	cc, err := c.Consume(func(m *js.Msg) {
		got <- string(m.Data)
		if err := m.Ack(); err != nil {
			log.Print(err)
		}
	}, js.PullErrorHandler(func(err error) { log.Print(err) }))
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		fmt.Println(<-got)
	}
	cc.Stop()
	<-cc.Done()
	// Output:
	// order 1
	// order 2
	// order 3
}

func ExampleConsumer_Messages() {
	j, done := exampleJS()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exampleStream(ctx, j)

	c, err := j.CreateConsumer(ctx, "ORDERS", js.ConsumerConfig{Durable: "shipping", AckPolicy: js.AckExplicit})
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for m, err := range c.Messages(ctx) {
		if err != nil {
			log.Fatal(err) // the consumer was deleted, or the connection closed
		}
		md, _ := m.Metadata()
		fmt.Printf("%s (stream seq %d)\n", m.Data, md.StreamSeq)
		_ = m.Ack()
		if n++; n == 3 {
			break
		}
	}
	// Output:
	// order 1 (stream seq 1)
	// order 2 (stream seq 2)
	// order 3 (stream seq 3)
}

func ExampleConsumer_Fetch() {
	j, done := exampleJS()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exampleStream(ctx, j)

	c, err := j.CreateConsumer(ctx, "ORDERS", js.ConsumerConfig{Durable: "audit", AckPolicy: js.AckExplicit})
	if err != nil {
		log.Fatal(err)
	}
	// Ask for 10; 3 are there, so the pull ends when its expiry passes
	// and says so.
	msgs, err := c.Fetch(ctx, 10, js.PullExpiry(500*time.Millisecond))
	for _, m := range msgs {
		fmt.Println(string(m.Data))
		_ = m.Ack()
	}
	fmt.Println(err)
	// Output:
	// order 1
	// order 2
	// order 3
	// js: pull ended: 408 Request Timeout
}

func ExampleJetStream_OrderedConsumer() {
	j, done := exampleJS()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exampleStream(ctx, j)

	oc, err := j.OrderedConsumer(ctx, "ORDERS", js.OrderedConsumerConfig{FilterSubjects: []string{"orders.new"}})
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for m, err := range oc.Messages(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(m.Data)) // every message once, in order, across restarts
		if n++; n == 3 {
			break
		}
	}
	// Output:
	// order 1
	// order 2
	// order 3
}
