package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// The allocation contracts of perf.md, checked exactly (not timed).

func connect(t testing.TB, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

func flush(t testing.TB, nc *core.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, nc.Flush(ctx))
}

func TestAllocsPublish(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	data := make([]byte, 16)
	allocs := testing.AllocsPerRun(10000, func() {
		if err := nc.Publish("alloc.pub", data); err != nil {
			t.Fatal(err)
		}
	})
	flush(t, nc)
	require.Zero(t, allocs, "Publish allocates")
}

func TestAllocsPublishMsgWithHeader(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	m := &core.Msg{Subject: "alloc.hpub", Header: core.Header{"Trace": {"abc"}}, Data: make([]byte, 16)}
	allocs := testing.AllocsPerRun(10000, func() {
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	})
	flush(t, nc)
	require.Zero(t, allocs, "PublishMsg with a header allocates")
}

func TestAllocsBorrowedDelivery(t *testing.T) {
	// The server runs as its own process: an in-process server's own
	// allocations (it allocates per message with headers) would be counted.
	s := harness.RunServer(t, harness.WithProcess())
	sub := connect(t, s.ClientURL())
	pub := connect(t, s.ClientURL())
	const n = 20000
	got := make(chan struct{}, 1)
	count := 0
	_, err := sub.SubscribeBorrowed("alloc.borrowed", func(m *core.BorrowedMsg) {
		if len(m.Header.Get("Trace")) == 0 {
			t.Error("header missing")
		}
		count++
		if count%n == 0 {
			got <- struct{}{}
		}
	})
	require.NoError(t, err)
	flush(t, sub)
	m := &core.Msg{Subject: "alloc.borrowed", Header: core.Header{"Trace": {"abc"}}, Data: make([]byte, 16)}
	send := func() {
		for i := 0; i < n; i++ {
			require.NoError(t, pub.PublishMsg(m))
		}
		flush(t, pub)
		<-got
	}
	send() // warm up buffers
	// A run sends n messages; what it allocates per run is the Flush and
	// context bookkeeping of the run, not of the messages: anything near n
	// would mean allocation per message.
	allocs := testing.AllocsPerRun(3, send)
	require.LessOrEqual(t, allocs, 16.0, "borrowed delivery allocates %.4f per message", allocs/n)
}

func TestAllocsOwnedDelivery(t *testing.T) {
	s := harness.RunServer(t, harness.WithProcess())
	sub := connect(t, s.ClientURL())
	pub := connect(t, s.ClientURL())
	const n = 20000
	got := make(chan struct{}, 1)
	count := 0
	_, err := sub.Subscribe("alloc.owned", func(m *core.Msg) {
		count++
		if count%n == 0 {
			got <- struct{}{}
		}
	})
	require.NoError(t, err)
	flush(t, sub)
	data := make([]byte, 16)
	send := func() {
		for i := 0; i < n; i++ {
			require.NoError(t, pub.Publish("alloc.owned", data))
		}
		flush(t, pub)
		<-got
	}
	send()
	// One allocation per message (the owned Msg and its bytes in one
	// block); the handler goroutine starts and stops as the queue fills and
	// empties, which costs no allocation.
	allocs := testing.AllocsPerRun(3, send)
	// The run's own Flush and the occasional new goroutine stack add a
	// few allocations per run; one per message is the contract.
	require.LessOrEqual(t, allocs/n, 1.005, "owned delivery allocates %.4f per message", allocs/n)
}

func TestAllocsRequestReply(t *testing.T) {
	s := harness.RunServer(t, harness.WithProcess())
	nc := connect(t, s.ClientURL())
	_, err := nc.SubscribeBorrowed("alloc.echo", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	require.NoError(t, err)
	flush(t, nc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := make([]byte, 16)
	req := func() {
		if _, err := nc.Request(ctx, "alloc.echo", data); err != nil {
			t.Fatal(err)
		}
	}
	req()
	allocs := testing.AllocsPerRun(2000, req)
	// perf.md's target is at most 3 per round trip (nats.go: 10); the one
	// left is the reply the caller owns.
	require.LessOrEqual(t, allocs, 1.0, "request/reply allocates")
	t.Logf("request/reply: %.0f allocations per round trip", allocs)
}
