package core_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// receiver is one way of receiving, set up on a subject; got returns the
// payloads received so far.
type receiver struct {
	name string
	sub  func(nc *core.Conn, subject string, opts ...core.SubOption) (*core.Subscription, func() []string)
}

// receivers covers the four ways to receive. Each collects payloads in
// arrival order.
var receivers = []receiver{
	{"borrowed", func(nc *core.Conn, subject string, opts ...core.SubOption) (*core.Subscription, func() []string) {
		var mu sync.Mutex
		var got []string
		sub, err := nc.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) {
			mu.Lock()
			got = append(got, string(m.Data))
			mu.Unlock()
		}, opts...)
		if err != nil {
			panic(err)
		}
		return sub, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
	}},
	{"owned", func(nc *core.Conn, subject string, opts ...core.SubOption) (*core.Subscription, func() []string) {
		var mu sync.Mutex
		var got []string
		sub, err := nc.Subscribe(subject, func(m *core.Msg) {
			mu.Lock()
			got = append(got, string(m.Data))
			mu.Unlock()
		}, opts...)
		if err != nil {
			panic(err)
		}
		return sub, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
	}},
	{"sync", func(nc *core.Conn, subject string, opts ...core.SubOption) (*core.Subscription, func() []string) {
		sub, err := nc.SubscribeSync(subject, opts...)
		if err != nil {
			panic(err)
		}
		var got []string
		// Pull whatever is there without waiting long.
		return sub, func() []string {
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				m, err := sub.Next(ctx)
				cancel()
				if err != nil {
					return append([]string(nil), got...)
				}
				got = append(got, string(m.Data))
			}
		}
	}},
	{"chan", func(nc *core.Conn, subject string, opts ...core.SubOption) (*core.Subscription, func() []string) {
		ch := make(chan *core.Msg, 64)
		sub, err := nc.SubscribeChan(subject, ch, opts...)
		if err != nil {
			panic(err)
		}
		var got []string
		return sub, func() []string {
			for {
				select {
				case m := <-ch:
					got = append(got, string(m.Data))
				case <-time.After(20 * time.Millisecond):
					return append([]string(nil), got...)
				}
			}
		}
	}},
}

// collect calls got until it returns want items or 5 s pass.
func collect(t *testing.T, got func() []string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g := got()
		if len(g) >= want || time.Now().After(deadline) {
			return g
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func seq(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

func TestSubscribeEachWayInOrder(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	pub := connect(t, s.ClientURL())
	const n = 2000
	for _, r := range receivers {
		t.Run(r.name, func(t *testing.T) {
			nc := connect(t, s.ClientURL())
			subject := "order." + r.name
			sub, got := r.sub(nc, subject)
			assert.Equal(t, subject, sub.Subject())
			assert.Equal(t, "", sub.QueueGroup())
			assert.True(t, sub.IsValid())
			assert.Equal(t, 1, nc.NumSubscriptions())
			flush(t, nc)
			for i := 0; i < n; i++ {
				require.NoError(t, pub.Publish(subject, []byte(strconv.Itoa(i))))
			}
			flush(t, pub)
			assert.Equal(t, seq(n), collect(t, got, n), "in order, each once")
			assert.Eventually(t, func() bool { return sub.Delivered() == n }, 5*time.Second, 5*time.Millisecond)
			assert.Equal(t, int64(0), sub.Dropped())
			msgs, bytes := sub.Pending()
			assert.Zero(t, msgs)
			assert.Zero(t, bytes)
			require.NoError(t, sub.Unsubscribe())
			assert.Equal(t, 0, nc.NumSubscriptions())
		})
	}
}

func TestSubscribeQueueGroups(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	pub := connect(t, s.ClientURL())
	const n, members = 600, 3
	for _, r := range receivers {
		t.Run(r.name, func(t *testing.T) {
			subject := "queue." + r.name
			var gots []func() []string
			for i := 0; i < members; i++ {
				nc := connect(t, s.ClientURL())
				sub, got := r.sub(nc, subject, core.Queue("workers"))
				assert.Equal(t, "workers", sub.QueueGroup())
				flush(t, nc)
				gots = append(gots, got)
			}
			// A plain subscriber beside the group sees everything.
			nc := connect(t, s.ClientURL())
			_, all := r.sub(nc, subject)
			flush(t, nc)

			for i := 0; i < n; i++ {
				require.NoError(t, pub.Publish(subject, []byte(strconv.Itoa(i))))
			}
			flush(t, pub)
			assert.Len(t, collect(t, all, n), n)

			seen := map[string]int{}
			total := 0
			deadline := time.Now().Add(5 * time.Second)
			var per []int
			for total < n && time.Now().Before(deadline) {
				seen, total, per = map[string]int{}, 0, per[:0]
				for _, got := range gots {
					g := got()
					per = append(per, len(g))
					for _, v := range g {
						seen[v]++
						total++
					}
				}
				if total < n {
					time.Sleep(10 * time.Millisecond)
				}
			}
			assert.Equal(t, n, total, "every message reached exactly one member")
			assert.Len(t, seen, n)
			for v, c := range seen {
				if c != 1 {
					t.Errorf("message %s delivered %d times", v, c)
				}
			}
			for i, c := range per {
				assert.Greater(t, c, 0, "member %d got nothing", i)
			}
		})
	}
}

func TestSubscribeQueueBadName(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	for _, q := range []string{"a b", "a\tb", "a\r\n"} {
		_, err := nc.SubscribeSync("q", core.Queue(q))
		assert.ErrorIs(t, err, core.ErrBadQueueName, "%q", q)
	}
	for _, subj := range []string{"", "a..b", "a.>.b", "a b", ".a", "a."} {
		_, err := nc.SubscribeSync(subj)
		assert.ErrorIs(t, err, core.ErrBadSubject, "%q", subj)
	}
	assert.Equal(t, 0, nc.NumSubscriptions())
	// Wildcards are fine for subscriptions.
	_, err := nc.SubscribeSync("a.*.c")
	require.NoError(t, err)
	_, err = nc.SubscribeSync("a.>")
	require.NoError(t, err)
	assert.Equal(t, 2, nc.NumSubscriptions())
}

func TestSubscribeAutoUnsubscribe(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	pub := connect(t, s.ClientURL())
	for _, r := range receivers {
		t.Run(r.name, func(t *testing.T) {
			nc := connect(t, s.ClientURL())
			subject := "auto." + r.name
			sub, got := r.sub(nc, subject)
			require.NoError(t, sub.AutoUnsubscribe(3))
			flush(t, nc)
			for i := 0; i < 10; i++ {
				require.NoError(t, pub.Publish(subject, []byte(strconv.Itoa(i))))
			}
			flush(t, pub)
			assert.Equal(t, seq(3), collect(t, got, 3))
			recv(t, sub.Done())
			assert.False(t, sub.IsValid())
			assert.Equal(t, int64(3), sub.Delivered())
			assert.Equal(t, 0, nc.NumSubscriptions())
			// Nothing more comes, and the subscription is gone.
			assert.Equal(t, seq(3), got())
			assert.ErrorIs(t, sub.Unsubscribe(), core.ErrBadSubscription)
		})
	}
}

func TestSubscribeAutoUnsubscribeCountsReceived(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("auto.later")
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		require.NoError(t, nc.Publish("auto.later", []byte(strconv.Itoa(i))))
	}
	flush(t, nc)
	// Two already received: a limit of 3 leaves one more.
	require.NoError(t, sub.AutoUnsubscribe(3))
	for i := 2; i < 6; i++ {
		require.NoError(t, nc.Publish("auto.later", []byte(strconv.Itoa(i))))
	}
	flush(t, nc)
	for i := 0; i < 3; i++ {
		assert.Equal(t, strconv.Itoa(i), string(next(t, sub).Data))
	}
	_, err = sub.Next(testCtx(t, time.Second))
	assert.ErrorIs(t, err, core.ErrSubscriptionClosed)
	recv(t, sub.Done())

	// A limit already reached ends the subscription at once.
	sub2, err := nc.SubscribeSync("auto.reached")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("auto.reached", []byte("a")))
	require.NoError(t, nc.Publish("auto.reached", []byte("b")))
	flush(t, nc)
	require.NoError(t, sub2.AutoUnsubscribe(1))
	// Two received, limit one: the second, still queued, is not handed out.
	assert.Equal(t, "a", string(next(t, sub2).Data))
	_, err = sub2.Next(testCtx(t, time.Second))
	assert.ErrorIs(t, err, core.ErrSubscriptionClosed)
	recv(t, sub2.Done())
}

func TestSubscribeUnsubscribe(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	pub := connect(t, s.ClientURL())
	for _, r := range receivers {
		t.Run(r.name, func(t *testing.T) {
			nc := connect(t, s.ClientURL())
			subject := "unsub." + r.name
			sub, got := r.sub(nc, subject)
			flush(t, nc)
			require.NoError(t, pub.Publish(subject, []byte("0")))
			flush(t, pub)
			assert.Equal(t, []string{"0"}, collect(t, got, 1))
			require.NoError(t, sub.Unsubscribe())
			recv(t, sub.Done())
			assert.False(t, sub.IsValid())
			flush(t, nc) // the UNSUB reached the server
			require.NoError(t, pub.Publish(subject, []byte("1")))
			flush(t, pub)
			flush(t, nc)
			assert.Equal(t, []string{"0"}, got())
			assert.ErrorIs(t, sub.Unsubscribe(), core.ErrBadSubscription)
			assert.ErrorIs(t, sub.AutoUnsubscribe(5), core.ErrBadSubscription)
			assert.ErrorIs(t, sub.Drain(testCtx(t, time.Second)), core.ErrBadSubscription)
		})
	}
}

func TestSubscribeDrainDeliversEverything(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	pub := connect(t, s.ClientURL())
	const n = 500
	for _, r := range receivers {
		t.Run(r.name, func(t *testing.T) {
			nc := connect(t, s.ClientURL())
			subject := "drain." + r.name
			var sub *core.Subscription
			var got func() []string
			if r.name == "owned" {
				// A slow handler, so messages are still queued when Drain starts.
				var mu sync.Mutex
				var g []string
				var err error
				sub, err = nc.Subscribe(subject, func(m *core.Msg) {
					time.Sleep(50 * time.Microsecond)
					mu.Lock()
					g = append(g, string(m.Data))
					mu.Unlock()
				})
				require.NoError(t, err)
				got = func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), g...) }
			} else {
				sub, got = r.sub(nc, subject)
			}
			flush(t, nc)
			for i := 0; i < n; i++ {
				require.NoError(t, pub.Publish(subject, []byte(strconv.Itoa(i))))
			}
			flush(t, pub)
			if r.name == "sync" || r.name == "chan" {
				// Pull-style: Drain waits for the queue to be taken, so take
				// it while Drain runs.
				done := make(chan error, 1)
				go func() { done <- sub.Drain(testCtx(t, 10*time.Second)) }()
				assert.Equal(t, seq(n), collect(t, got, n))
				require.NoError(t, recv(t, done))
			} else {
				require.NoError(t, sub.Drain(testCtx(t, 10*time.Second)))
				assert.Equal(t, seq(n), got(), "all messages sent before Drain were delivered")
			}
			recv(t, sub.Done())
			assert.False(t, sub.IsValid())
			assert.Equal(t, 0, nc.NumSubscriptions())
			// After the drain, nothing more.
			require.NoError(t, pub.Publish(subject, []byte("late")))
			flush(t, pub)
			flush(t, nc)
			assert.Len(t, got(), n)
		})
	}
}

func TestSubscribeDrainBoundedByContext(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	release := make(chan struct{})
	var handled atomic.Int32
	sub, err := nc.Subscribe("drain.stuck", func(*core.Msg) {
		<-release
		handled.Add(1)
	})
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		require.NoError(t, nc.Publish("drain.stuck", nil))
	}
	flush(t, nc)
	start := time.Now()
	err = sub.Drain(testCtx(t, 200*time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	close(release)
	recv(t, sub.Done())
	// The handler that was running finishes; the rest was discarded.
	assert.Eventually(t, func() bool { return handled.Load() >= 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, int32(1), handled.Load())
}

// TestSubscribePendingLimits blocks an owned handler and overflows its
// queue: the excess is dropped and counted, and one slow-consumer event
// fires per episode.
func TestSubscribePendingLimits(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option())
	pub := connect(t, s.ClientURL())

	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var handled atomic.Int32
	sub, err := nc.Subscribe("slow", func(*core.Msg) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		handled.Add(1)
	}, core.PendingLimits(10, 0))
	require.NoError(t, err)
	flush(t, nc)

	episode := func(sent int) {
		t.Helper()
		// A token left by a later message of the last episode would make
		// recv below return before this episode's first message is held.
		select {
		case <-started:
		default:
		}
		require.NoError(t, pub.Publish("slow", []byte("first")))
		flush(t, pub)
		recv(t, started) // the handler holds the first message
		for i := 1; i < sent; i++ {
			require.NoError(t, pub.Publish("slow", []byte("0123456789")))
		}
		flush(t, pub)
		flush(t, nc) // everything sent reached the reader
	}

	episode(50)
	msgs, bytes := sub.Pending()
	assert.Equal(t, 10, msgs)
	assert.Equal(t, 10*len("slow0123456789"), bytes)
	assert.Equal(t, int64(39), sub.Dropped())
	ev := events.wait(core.EventSlowConsumer, 5*time.Second)
	assert.Same(t, sub, ev.Sub)
	assert.ErrorIs(t, ev.Err, core.ErrSlowConsumer)
	var se *core.SubscriptionError
	require.ErrorAs(t, ev.Err, &se)
	assert.Equal(t, "slow", se.Subject)

	// The queue drains: episode over.
	for i := 0; i < 11; i++ {
		release <- struct{}{}
	}
	assert.Eventually(t, func() bool { return handled.Load() == 11 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(11), sub.Delivered())
	assert.Equal(t, 1, events.count(core.EventSlowConsumer), "one event per episode")

	// A second episode, a second event.
	episode(30)
	assert.Equal(t, int64(39+19), sub.Dropped())
	events.wait(core.EventSlowConsumer, 5*time.Second)
	assert.Equal(t, 2, events.count(core.EventSlowConsumer))
	close(release)
	assert.Eventually(t, func() bool { return handled.Load() == 22 }, 5*time.Second, time.Millisecond)
	assert.True(t, nc.IsConnected(), "a slow consumer does not cost the connection")
	assert.False(t, events.overlap.Load())
}

func TestSubscribePendingBytesLimit(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("bytes", core.PendingLimits(0, 1000))
	require.NoError(t, err)
	payload := make([]byte, 95) // 100 bytes with the subject
	for i := 0; i < 20; i++ {
		require.NoError(t, nc.Publish("bytes", payload))
	}
	flush(t, nc)
	msgs, bytes := sub.Pending()
	assert.Equal(t, 10, msgs)
	assert.Equal(t, 1000, bytes)
	assert.Equal(t, int64(10), sub.Dropped())

	// SetPendingLimits changes them live; one message larger than the limit
	// still gets through an empty queue rather than being stuck forever.
	for i := 0; i < 10; i++ {
		next(t, sub)
	}
	sub.SetPendingLimits(0, 10)
	require.NoError(t, nc.Publish("bytes", payload))
	flush(t, nc)
	assert.Len(t, next(t, sub).Data, 95)
}

func TestSubscribeChanBlockedConsumer(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	ch := make(chan *core.Msg) // unbuffered, nobody reading yet
	sub, err := nc.SubscribeChan("chan.slow", ch, core.PendingLimits(5, 0))
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		require.NoError(t, nc.Publish("chan.slow", []byte(strconv.Itoa(i))))
	}
	flush(t, nc)
	// Five wait in the queue, and one in the blocked send once the sender
	// goroutine has taken it (which may happen after the queue filled).
	dropped := sub.Dropped()
	assert.True(t, dropped == 14 || dropped == 15, "dropped %d", dropped)
	var got []string
	for i := 0; i < 20-int(dropped); i++ {
		got = append(got, string(recv(t, (<-chan *core.Msg)(ch)).Data))
	}
	// Kept messages arrive in publish order. Which ones were dropped
	// depends on when the sender goroutine took its first one off the
	// queue (message 0 always survives: the queue was empty for it).
	require.NotEmpty(t, got)
	assert.Equal(t, "0", got[0])
	for i := 1; i < len(got); i++ {
		a, _ := strconv.Atoi(got[i-1])
		b, _ := strconv.Atoi(got[i])
		assert.Less(t, a, b, "out of order: %v", got)
	}
	// Delivered counts a send once it completed, a moment after the receive.
	assert.Eventually(t, func() bool { return sub.Delivered() == int64(20)-dropped }, 5*time.Second, time.Millisecond)
	select {
	case m := <-ch:
		t.Fatalf("unexpected message %q", m.Data)
	case <-time.After(20 * time.Millisecond):
	}
	require.NoError(t, sub.Unsubscribe())
}

func TestSubscribeMessagesIterator(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("iter")
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		require.NoError(t, nc.Publish("iter", []byte(strconv.Itoa(i))))
	}
	ctx := testCtx(t, 5*time.Second)
	var got []string
	for m, err := range sub.Messages(ctx) {
		require.NoError(t, err)
		got = append(got, string(m.Data))
		if len(got) == 5 {
			break
		}
	}
	assert.Equal(t, seq(5), got)
	// Breaking out loses nothing: the rest is still there.
	for m, err := range sub.Messages(ctx) {
		require.NoError(t, err)
		got = append(got, string(m.Data))
		if len(got) == 10 {
			require.NoError(t, sub.AutoUnsubscribe(10))
		}
	}
	// The loop ended by itself when the subscription did.
	assert.Equal(t, seq(10), got)

	// A context that ends yields its error once.
	sub2, err := nc.SubscribeSync("iter2")
	require.NoError(t, err)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var errs []error
	for m, err := range sub2.Messages(short) {
		assert.Nil(t, m)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.DeadlineExceeded)
}

func TestSubscribeWrongKind(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.Subscribe("kind", func(*core.Msg) {})
	require.NoError(t, err)
	_, err = sub.Next(testCtx(t, time.Second))
	assert.ErrorIs(t, err, core.ErrWrongSubscriptionKind)
	for _, err := range sub.Messages(testCtx(t, time.Second)) {
		assert.ErrorIs(t, err, core.ErrWrongSubscriptionKind)
	}
}

func TestSubscribeAfterCloseAndDuringDrain(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("closing")
	require.NoError(t, err)
	nc.Close()
	recv(t, sub.Done())
	_, err = sub.Next(testCtx(t, time.Second))
	assert.ErrorIs(t, err, core.ErrSubscriptionClosed)
	_, err = nc.SubscribeSync("x")
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	_, err = nc.Subscribe("x", func(*core.Msg) {})
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	_, err = nc.SubscribeBorrowed("x", func(*core.BorrowedMsg) {})
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	_, err = nc.SubscribeChan("x", make(chan *core.Msg))
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
}

// TestSubscribeIdleCostsNoGoroutine creates many owned-handler
// subscriptions and checks they add no goroutines; it also reports the
// memory each idle subscription costs the client.
func TestSubscribeIdleCostsNoGoroutine(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	const n = 10000
	handler := func(*core.Msg) {}
	before := runtime.NumGoroutine()
	subs := make([]*core.Subscription, 0, n)
	for i := 0; i < n; i++ {
		sub, err := nc.Subscribe("idle."+strconv.Itoa(i), handler)
		require.NoError(t, err)
		subs = append(subs, sub)
	}
	flush(t, nc)
	grew := runtime.NumGoroutine() - before
	// Other parallel tests start and stop goroutines too; 10 000 idle
	// subscriptions with a goroutine each would add 10 000.
	assert.Less(t, grew, 100, "idle subscriptions must not hold goroutines")
	assert.Equal(t, n, nc.NumSubscriptions())

	// They still work, and go back to no goroutine after delivering.
	require.NoError(t, nc.Publish("idle.42", []byte("x")))
	flush(t, nc)
	assert.Eventually(t, func() bool { return subs[42].Delivered() == 1 }, 5*time.Second, time.Millisecond)
	for _, sub := range subs {
		require.NoError(t, sub.Unsubscribe())
	}
}

// TestSubscribeIdleMemory weighs an idle owned-handler subscription on the
// client. The server is a fake one (quietServer) that allocates nothing per
// SUB, so the in-process server's own bookkeeping is not counted. Not
// parallel: the heap is measured around it.
func TestSubscribeIdleMemory(t *testing.T) {
	f := newQuietServer(t, codec.ServerInfo{Headers: true})
	nc := connect(t, f.url())
	const n = 10000
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = "idle.mem." + strconv.Itoa(i)
	}
	handler := func(*core.Msg) {}
	subs := make([]*core.Subscription, 0, n)
	flush(t, nc)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goBefore := runtime.NumGoroutine()
	for _, subj := range subjects {
		sub, err := nc.Subscribe(subj, handler)
		require.NoError(t, err)
		subs = append(subs, sub)
	}
	flush(t, nc)
	goAfter := runtime.NumGoroutine()
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, int64(n), f.subs.Load())
	perSub := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("idle owned-handler subscription: %d bytes of heap each (%d subscriptions, %d goroutines added)",
		perSub, n, goAfter-goBefore)
	assert.Less(t, goAfter-goBefore, 10)
	// A goroutine's stack alone is 2 KiB or more; a subscription must cost
	// far less than that.
	assert.Less(t, perSub, int64(1024))
	runtime.KeepAlive(subs)
}

// TestSubscribeCallsFromHandlers unsubscribes and closes from inside
// handlers of each kind: none of it may deadlock.
func TestSubscribeCallsFromHandlers(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)

	t.Run("unsubscribe in own handler", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		var sub *core.Subscription
		var calls atomic.Int32
		ready := make(chan struct{})
		sub, err := nc.Subscribe("h.unsub", func(*core.Msg) {
			<-ready
			calls.Add(1)
			_ = sub.Unsubscribe()
		})
		require.NoError(t, err)
		close(ready)
		for i := 0; i < 10; i++ {
			require.NoError(t, nc.Publish("h.unsub", nil))
		}
		recv(t, sub.Done())
		flush(t, nc)
		assert.Equal(t, int32(1), calls.Load(), "queued messages are discarded by Unsubscribe")
	})
	t.Run("unsubscribe in borrowed handler", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		var sub *core.Subscription
		var calls atomic.Int32
		ready := make(chan struct{})
		sub, err := nc.SubscribeBorrowed("h.bunsub", func(*core.BorrowedMsg) {
			<-ready
			calls.Add(1)
			_ = sub.Unsubscribe()
		})
		require.NoError(t, err)
		close(ready)
		for i := 0; i < 10; i++ {
			require.NoError(t, nc.Publish("h.bunsub", nil))
		}
		recv(t, sub.Done())
		flush(t, nc)
		assert.Equal(t, int32(1), calls.Load())
	})
	t.Run("close in borrowed handler", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		_, err := nc.SubscribeBorrowed("h.bclose", func(*core.BorrowedMsg) { nc.Close() })
		require.NoError(t, err)
		require.NoError(t, nc.Publish("h.bclose", nil))
		recv(t, nc.Closed())
		assert.NoError(t, nc.Err())
	})
	t.Run("close in owned handler", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		_, err := nc.Subscribe("h.close", func(*core.Msg) { nc.Close() })
		require.NoError(t, err)
		require.NoError(t, nc.Publish("h.close", nil))
		recv(t, nc.Closed())
	})
	t.Run("close in event handler", func(t *testing.T) {
		var nc *core.Conn
		closed := make(chan struct{})
		ready := make(chan struct{})
		var err error
		nc, err = core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithEventHandler(func(ev core.Event) {
			switch ev.Kind {
			case core.EventConnected:
				<-ready
				nc.Close()
			case core.EventClosed:
				close(closed)
			}
		}))
		require.NoError(t, err)
		close(ready)
		recv(t, closed)
		recv(t, nc.Closed())
	})
	t.Run("unsubscribe with a blocked channel send", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		ch := make(chan *core.Msg) // nobody reads
		sub, err := nc.SubscribeChan("h.chan", ch)
		require.NoError(t, err)
		for i := 0; i < 3; i++ {
			require.NoError(t, nc.Publish("h.chan", nil))
		}
		flush(t, nc)
		require.NoError(t, sub.Unsubscribe())
		recv(t, sub.Done())
		// The sender goroutine gave up its send (goleak checks it is gone).
		select {
		case m := <-ch:
			t.Fatalf("message %q sent after Unsubscribe", m.Subject)
		case <-time.After(20 * time.Millisecond):
		}
	})
	t.Run("concurrent Next", func(t *testing.T) {
		nc := connect(t, s.ClientURL())
		sub, err := nc.SubscribeSync("h.next")
		require.NoError(t, err)
		const n = 1000
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[string]int{}
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for m, err := range sub.Messages(context.Background()) {
					if err != nil {
						return
					}
					mu.Lock()
					got[string(m.Data)]++
					mu.Unlock()
				}
			}()
		}
		for i := 0; i < n; i++ {
			require.NoError(t, nc.Publish("h.next", []byte(strconv.Itoa(i))))
		}
		require.NoError(t, sub.Drain(testCtx(t, 5*time.Second)))
		wg.Wait()
		assert.Len(t, got, n)
		for k, c := range got {
			assert.Equal(t, 1, c, k)
		}
	})
}
