package core_test

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// A server restart in the middle of a publish stream: every publish that
// Publish accepted while the Conn was disconnected must be delivered after
// the reconnect. The subscription is on the publishing Conn, so the test
// also checks the order of a reconnect: subscriptions first, then the held
// publishes.
func TestSessionRestartMidPublishStream(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option())...)

	var mu sync.Mutex
	got := map[uint32]bool{}
	_, err := nc.SubscribeBorrowed("restart.seq", func(m *core.BorrowedMsg) {
		mu.Lock()
		got[binary.BigEndian.Uint32(m.Data)] = true
		mu.Unlock()
	})
	require.NoError(t, err)
	flush(t, nc)

	// The server goes down 100 ms into the stream and comes back once 500
	// publishes were held; the stream goes on until the Conn is back.
	var nheld atomic.Int64
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(100 * time.Millisecond)
		s.Shutdown()
		for nheld.Load() < 500 {
			time.Sleep(time.Millisecond)
		}
		s.Restart()
	}()
	var held, accepted, refused []uint32
	buf := make([]byte, 4)
	after := -1
	total := 0
	for i := uint32(0); after < 0 || total < after+1000; i++ {
		binary.BigEndian.PutUint32(buf, i)
		before := nc.Status()
		err := nc.Publish("restart.seq", buf)
		now := nc.Status()
		switch {
		case err != nil:
			require.ErrorIs(t, err, core.ErrReconnectBufferExceeded)
			refused = append(refused, i)
		case before == core.StatusReconnecting && now == core.StatusReconnecting:
			held = append(held, i)
			nheld.Add(1)
		default:
			accepted = append(accepted, i)
		}
		total++
		if after < 0 && log.count(core.EventReconnected) > 0 {
			after = total
		}
		if i%100 == 0 {
			time.Sleep(time.Millisecond) // a steady stream, not a flood
		}
	}
	<-restarted
	require.NoError(t, nc.Flush(testCtx(t, 10*time.Second)))
	log.waitN(t, core.EventReconnected, 1, 5*time.Second)

	mu.Lock()
	defer mu.Unlock()
	missingHeld := 0
	for _, i := range held {
		if !got[i] {
			missingHeld++
		}
	}
	lost := 0
	var lostFirst, lostLast uint32
	for _, i := range accepted {
		if !got[i] {
			if lost == 0 {
				lostFirst = i
			}
			lost++
			lostLast = i
		}
	}
	if lost > 0 {
		// What may be lost is what the dead server had not read: one run
		// of publishes written just before it went away, nothing else.
		assert.EqualValues(t, lost, lostLast-lostFirst+1, "lost publishes are not one contiguous run")
		if len(held) > 0 {
			assert.Less(t, lostLast, held[0], "a publish made after the disconnection was lost")
		}
	}
	t.Logf("published %d: %d while connected (%d lost: written to the socket before the server died), %d held while disconnected, %d refused",
		total, len(accepted), lost, len(held), len(refused))
	require.NotEmpty(t, held, "the stream should have spanned the disconnection")
	assert.Zero(t, missingHeld, "publishes held while disconnected were lost")
	assert.Empty(t, refused, "the reconnect buffer should have held this stream")
	// Losses can only come from the batch the dead server had not read;
	// that is bounded by what sits in socket buffers, far below the stream.
	assert.Less(t, lost, total/4)
}

func TestSessionReconnectBufferLimit(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option(), core.WithReconnectBufferSize(1024))...)
	s.Shutdown()
	log.waitN(t, core.EventDisconnected, 1, 5*time.Second)

	data := make([]byte, 100)
	var err error
	n := 0
	for ; n < 100; n++ {
		if err = nc.Publish("limit", data); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, core.ErrReconnectBufferExceeded)
	assert.Greater(t, n, 5, "some publishes fit the 1 KiB buffer")
	assert.Less(t, n, 11, "publishes beyond 1 KiB are refused")
	assert.LessOrEqual(t, nc.Buffered(), 1024)
}

func TestSessionReconnectBufferDisabled(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option(), core.WithReconnectBufferSize(0))...)
	s.Shutdown()
	log.waitN(t, core.EventDisconnected, 1, 5*time.Second)
	require.ErrorIs(t, nc.Publish("x", []byte("y")), core.ErrReconnectBufferExceeded)
}

// Flush while disconnected waits for the next session (or its context).
func TestSessionFlushWaitsForReconnect(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option())...)
	sub, err := nc.SubscribeSync("flushwait")
	require.NoError(t, err)
	flush(t, nc)
	s.Shutdown()
	log.waitN(t, core.EventDisconnected, 1, 5*time.Second)

	require.NoError(t, nc.Publish("flushwait", []byte("held")))
	short := testCtx(t, 50*time.Millisecond)
	require.ErrorIs(t, nc.Flush(short), short.Err())

	done := make(chan error, 1)
	go func() { done <- nc.Flush(testCtx(t, 10*time.Second)) }()
	time.Sleep(50 * time.Millisecond)
	s.Restart()
	require.NoError(t, <-done)
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "held", string(m.Data))
}

// Subscriptions come back with their queue groups and the remainder of
// their auto-unsubscribe counts; the request inbox comes back too.
func TestSessionSubscriptionsRestored(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option())...)
	other := connect(t, s.ClientURL(), fastReconnect()...)

	q1, err := nc.SubscribeSync("restore.q", core.Queue("workers"))
	require.NoError(t, err)
	q2, err := other.SubscribeSync("restore.q", core.Queue("workers"))
	require.NoError(t, err)
	auto, err := nc.SubscribeSync("restore.auto")
	require.NoError(t, err)
	require.NoError(t, auto.AutoUnsubscribe(5))
	_, err = other.SubscribeBorrowed("restore.echo", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	require.NoError(t, err)
	flush(t, nc)
	flush(t, other)

	// Use the request inbox and 2 of the 5 auto-unsubscribe messages.
	_, err = nc.Request(testCtx(t, 5*time.Second), "restore.echo", []byte("before"))
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, other.Publish("restore.auto", []byte("a")))
	}
	flush(t, other)
	for range 2 {
		_, err := auto.Next(testCtx(t, 5*time.Second))
		require.NoError(t, err)
	}

	s.Restart()
	log.waitN(t, core.EventReconnected, 1, 10*time.Second)
	require.NoError(t, other.Flush(testCtx(t, 10*time.Second)))
	flush(t, nc)

	r, err := nc.Request(testCtx(t, 5*time.Second), "restore.echo", []byte("after"))
	require.NoError(t, err)
	assert.Equal(t, "after", string(r.Data))

	// Queue group restored: 20 messages split between the members, none
	// twice.
	for range 20 {
		require.NoError(t, other.Publish("restore.q", []byte("q")))
	}
	flush(t, other)
	n1, n2 := drainCount(t, q1), drainCount(t, q2)
	assert.Equal(t, 20, n1+n2, "each queue message delivered exactly once")

	// Auto-unsubscribe: 3 more arrive, then the subscription ends.
	for range 10 {
		require.NoError(t, other.Publish("restore.auto", []byte("a")))
	}
	flush(t, other)
	for range 3 {
		_, err := auto.Next(testCtx(t, 5*time.Second))
		require.NoError(t, err)
	}
	_, err = auto.Next(testCtx(t, 5*time.Second))
	require.ErrorIs(t, err, core.ErrSubscriptionClosed)
	assert.EqualValues(t, 5, auto.Delivered())
}

// drainCount takes what a pull subscription holds right now.
func drainCount(t *testing.T, sub *core.Subscription) int {
	n := 0
	for {
		ctx := testCtx(t, 100*time.Millisecond)
		if _, err := sub.Next(ctx); err != nil {
			return n
		}
		n++
	}
}

// WithRetryOnFailedConnect: Connect returns at once, and the Conn connects
// when a server appears.
func TestSessionRetryOnFailedConnect(t *testing.T) {
	url := deadURL(t)
	log := newSessionLog()
	nc := connect(t, url, append(fastReconnect(), log.option(), core.WithRetryOnFailedConnect())...)
	assert.Equal(t, core.StatusReconnecting, nc.Status())
	sub, err := nc.SubscribeSync("retry")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("retry", []byte("early")))

	port := portOf(t, url)
	harness.RunServer(t, harness.WithPort(port))
	log.waitN(t, core.EventConnected, 1, 10*time.Second)
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "early", string(m.Data))
}

// Close and Drain while reconnecting end promptly (goleak in TestMain
// checks that nothing is left behind).
func TestSessionCloseWhileReconnecting(t *testing.T) {
	for _, drain := range []bool{false, true} {
		name := map[bool]string{false: "close", true: "drain"}[drain]
		t.Run(name, func(t *testing.T) {
			s := harness.RunServer(t)
			log := newSessionLog()
			nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option())...)
			_, err := nc.Subscribe("x", func(*core.Msg) {})
			require.NoError(t, err)
			s.Shutdown()
			log.waitN(t, core.EventDisconnected, 1, 5*time.Second)
			start := time.Now()
			if drain {
				require.NoError(t, nc.Drain(testCtx(t, 10*time.Second)))
			} else {
				nc.Close()
			}
			select {
			case <-nc.Closed():
			case <-time.After(2 * time.Second):
				t.Fatal("the Conn did not shut down")
			}
			assert.Less(t, time.Since(start), time.Second)
			log.waitN(t, core.EventClosed, 1, 2*time.Second)
			assert.NoError(t, nc.Err())
			assert.ErrorIs(t, nc.Publish("x", nil), core.ErrConnectionClosed)
		})
	}
}

// Drain while reconnecting with publishes held waits for the reconnect and
// delivers them, bounded by its context.
func TestSessionDrainWhileReconnectingDeliversHeld(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	// A fixed delay between passes, so the watcher below is subscribed
	// before the draining Conn comes back.
	nc := connect(t, s.ClientURL(), log.option(), core.WithConnectTimeout(2*time.Second),
		core.WithReconnectDelay(func(int) time.Duration { return 500 * time.Millisecond }))
	s.Shutdown()
	log.waitN(t, core.EventDisconnected, 1, 5*time.Second)
	require.NoError(t, nc.Publish("held", []byte("1")))

	drained := make(chan error, 1)
	go func() { drained <- nc.Drain(testCtx(t, 10*time.Second)) }()
	s.Restart()
	watcher := connect(t, s.ClientURL())
	sub, err := watcher.SubscribeSync("held")
	require.NoError(t, err)
	flush(t, watcher)

	require.NoError(t, <-drained)
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "1", string(m.Data))
	assert.True(t, nc.IsClosed())
}
