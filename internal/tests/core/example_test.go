package core_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// exampleServer starts a throwaway nats-server for an example; a real
// program connects to its own servers instead.
func exampleServer() *harness.Server {
	s, err := harness.Start()
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func ExampleConnect() {
	s := exampleServer()
	defer s.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Several URLs may be given, separated by commas; the first server that
	// accepts the connection is used.
	nc, err := core.Connect(ctx, s.ClientURL(), core.WithName("example"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(nc.Status(), nc.ServerName())
	nc.Close()
	fmt.Println(nc.Status())
	// Output:
	// connected starling
	// closed
}

func ExampleConn_Publish() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	sub, _ := nc.SubscribeSync("greetings")
	if err := nc.Publish("greetings", []byte("hello")); err != nil {
		log.Fatal(err)
	}
	// With headers and a reply subject:
	h := core.Header{}
	h.Set("Lang", "en")
	if err := nc.PublishMsg(&core.Msg{Subject: "greetings", Reply: "answers", Header: h, Data: []byte("hi")}); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		m, _ := sub.Next(ctx)
		fmt.Printf("%s %q reply=%q lang=%q\n", m.Subject, m.Data, m.Reply, m.Header.Get("Lang"))
	}
	// Output:
	// greetings "hello" reply="" lang=""
	// greetings "hi" reply="answers" lang="en"
}

func ExampleConn_Subscribe() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// The handler owns each message and may keep it; messages come one at
	// a time, in order.
	var wg sync.WaitGroup
	wg.Add(3)
	_, err = nc.Subscribe("orders.>", func(m *core.Msg) {
		fmt.Printf("%s: %s\n", m.Subject, m.Data)
		wg.Done()
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, item := range []string{"apple", "pear", "fig"} {
		_ = nc.Publish(fmt.Sprintf("orders.%d", i), []byte(item))
	}
	wg.Wait()
	// Output:
	// orders.0: apple
	// orders.1: pear
	// orders.2: fig
}

func ExampleConn_SubscribeBorrowed() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// The message is lent for the length of the call: read it, answer it,
	// or Copy it to keep it. Nothing is allocated per message.
	var total int
	done := make(chan struct{})
	_, err = nc.SubscribeBorrowed("metrics", func(m *core.BorrowedMsg) {
		total += len(m.Data)
		if string(m.Header.Get("Last")) == "yes" {
			close(done)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = nc.Publish("metrics", []byte("12345"))
	_ = nc.Publish("metrics", []byte("678"))
	_ = nc.PublishMsg(&core.Msg{Subject: "metrics", Header: core.Header{"Last": {"yes"}}, Data: []byte("9")})
	<-done
	fmt.Println("bytes:", total)
	// Output:
	// bytes: 9
}

func ExampleConn_SubscribeSync() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	sub, err := nc.SubscribeSync("jobs")
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range []string{"one", "two", "three"} {
		_ = nc.Publish("jobs", []byte(j))
	}
	m, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("next:", string(m.Data))
	// Or range over the messages; the loop ends when the subscription does
	// (here after two more, by AutoUnsubscribe) or ctx ends.
	_ = sub.AutoUnsubscribe(3)
	for m, err := range sub.Messages(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("ranged:", string(m.Data))
	}
	// Output:
	// next: one
	// ranged: two
	// ranged: three
}

func ExampleConn_SubscribeChan() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	ch := make(chan *core.Msg, 16)
	sub, err := nc.SubscribeChan("events", ch)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe()
	_ = nc.Publish("events", []byte("started"))
	_ = nc.Publish("events", []byte("stopped"))
	fmt.Println(string((<-ch).Data))
	fmt.Println(string((<-ch).Data))
	// Output:
	// started
	// stopped
}

func ExampleQueue() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// Members of a queue group share the messages: each goes to one.
	var mu sync.Mutex
	var wg sync.WaitGroup
	handled := 0
	wg.Add(100)
	for range 3 {
		_, err := nc.Subscribe("work", func(*core.Msg) {
			mu.Lock()
			handled++
			mu.Unlock()
			wg.Done()
		}, core.Queue("workers"))
		if err != nil {
			log.Fatal(err)
		}
	}
	for range 100 {
		_ = nc.Publish("work", nil)
	}
	wg.Wait()
	fmt.Println("handled:", handled)
	// Output:
	// handled: 100
}

func ExampleConn_Request() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	_, err = nc.Subscribe("upper", func(m *core.Msg) {
		_ = m.Respond([]byte(strings.ToUpper(string(m.Data))))
	})
	if err != nil {
		log.Fatal(err)
	}
	reply, err := nc.Request(ctx, "upper", []byte("shout"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply.Data))

	// Nobody listening: the server says so at once.
	_, err = nc.Request(ctx, "nobody.home", nil)
	fmt.Println(err)
	// Output:
	// SHOUT
	// core: no responders
}

func ExampleConn_RequestMany() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// Three services answer a census; gather the first two answers.
	for _, name := range []string{"alpha", "beta", "gamma"} {
		_, err := nc.Subscribe("census", func(m *core.Msg) { _ = m.Respond([]byte(name)) })
		if err != nil {
			log.Fatal(err)
		}
	}
	n := 0
	for m, err := range nc.RequestMany(ctx, "census", nil, core.MaxMessages(2), core.StallTimeout(time.Second)) {
		if err != nil {
			log.Fatal(err)
		}
		_ = m // m.Data names one of the services
		n++
	}
	fmt.Println("answers:", n)
	// Output:
	// answers: 2
}

func ExampleConn_Drain() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}

	count := 0
	_, err = nc.Subscribe("tasks", func(*core.Msg) {
		time.Sleep(time.Millisecond) // slow work
		count++
	})
	if err != nil {
		log.Fatal(err)
	}
	for range 20 {
		_ = nc.Publish("tasks", nil)
	}
	_ = nc.Flush(ctx)
	// Drain stops the subscriptions, lets the handler finish every message
	// already received, flushes what was published, then closes.
	if err := nc.Drain(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("handled:", count, "status:", nc.Status())
	// Output:
	// handled: 20 status: closed
}

func ExampleConn_AddEventListener() {
	s := exampleServer()
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}

	// A layer above core (a consumer, a watcher) re-issues on every new
	// session what the server forgot with the old one. Each listener has
	// its own goroutine: a slow one delays only itself.
	reconnected := make(chan struct{}, 1)
	closed := make(chan struct{})
	remove := nc.AddEventListener(func(ev core.Event) {
		fmt.Println("event:", ev.Kind)
		switch ev.Kind {
		case core.EventReconnected:
			reconnected <- struct{}{}
		case core.EventClosed:
			close(closed)
		}
	})
	defer remove()

	if err := nc.ForceReconnect(); err != nil {
		log.Fatal(err)
	}
	<-reconnected
	nc.Close()
	<-closed
	// Output:
	// event: disconnected
	// event: reconnected
	// event: closed
}
