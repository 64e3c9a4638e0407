package core_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestFlushOrdersPublishes(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sub := connect(t, s.ClientURL())
	got, err := sub.SubscribeSync("flush.order")
	require.NoError(t, err)
	flush(t, sub)
	pub := connect(t, s.ClientURL())
	const n = 5000
	for i := 0; i < n; i++ {
		require.NoError(t, pub.Publish("flush.order", []byte(strconv.Itoa(i))))
	}
	// Once Flush returns the server has processed every publish, so the
	// subscriber's own round trip comes after all of them.
	flush(t, pub)
	assert.Equal(t, 0, pub.Buffered())
	flush(t, sub)
	msgs, _ := got.Pending()
	assert.Equal(t, n, msgs)
}

func TestFlushAndRTT(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	rtt, err := nc.RTT(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Greater(t, rtt, time.Duration(0))
	assert.Less(t, rtt, 3*time.Second)

	// A Flush whose context already ended returns its error, and the PONG
	// that comes later does not confuse the next Flush.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, nc.Flush(done), context.Canceled)
	for i := 0; i < 3; i++ {
		flush(t, nc)
	}

	nc.Close()
	assert.ErrorIs(t, nc.Flush(testCtx(t, time.Second)), core.ErrConnectionClosed)
	_, err = nc.RTT(testCtx(t, time.Second))
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
}

// TestFlushWhileDisconnected holds publishes in the reconnect buffer
// (Buffered counts them) and replays them, Flush waiting for the new session.
func TestFlushWhileDisconnected(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option(), core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond))
	sub, err := nc.SubscribeSync("held")
	require.NoError(t, err)
	flush(t, nc)

	s.Shutdown()
	events.wait(core.EventDisconnected, 5*time.Second)
	for i := 0; i < 10; i++ {
		require.NoError(t, nc.Publish("held", []byte(strconv.Itoa(i))))
	}
	assert.Greater(t, nc.Buffered(), 10*len("PUB held 1\r\n0\r\n")-1)
	flushed := make(chan error, 1)
	go func() { flushed <- nc.Flush(testCtx(t, 10*time.Second)) }()
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned %v while disconnected", err)
	case <-time.After(100 * time.Millisecond):
	}
	s.Restart()
	require.NoError(t, recv(t, flushed))
	for i := 0; i < 10; i++ {
		assert.Equal(t, strconv.Itoa(i), string(next(t, sub).Data))
	}
	assert.Equal(t, 0, nc.Buffered())
}

func TestCloseIsFinal(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option())
	sub, err := nc.SubscribeSync("close.sub")
	require.NoError(t, err)
	ctx := testCtx(t, 5*time.Second)

	nc.Close()
	nc.Close() // idempotent
	recv(t, nc.Closed())
	assert.NoError(t, nc.Err())
	assert.Equal(t, core.StatusClosed, nc.Status())
	recv(t, sub.Done())
	ev := events.wait(core.EventClosed, 5*time.Second)
	assert.NoError(t, ev.Err)

	closed := core.ErrConnectionClosed
	assert.ErrorIs(t, nc.Publish("x", nil), closed)
	assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "x"}), closed)
	assert.ErrorIs(t, nc.PublishRequest("x", "y", nil), closed)
	_, err = nc.Subscribe("x", func(*core.Msg) {})
	assert.ErrorIs(t, err, closed)
	_, err = nc.SubscribeBorrowed("x", func(*core.BorrowedMsg) {})
	assert.ErrorIs(t, err, closed)
	_, err = nc.SubscribeSync("x")
	assert.ErrorIs(t, err, closed)
	_, err = nc.SubscribeChan("x", make(chan *core.Msg))
	assert.ErrorIs(t, err, closed)
	_, err = nc.Request(ctx, "x", nil)
	assert.ErrorIs(t, err, closed)
	_, err = nc.RequestMsg(ctx, &core.Msg{Subject: "x"})
	assert.ErrorIs(t, err, closed)
	for _, err := range nc.RequestMany(ctx, "x", nil) {
		assert.ErrorIs(t, err, closed)
	}
	assert.ErrorIs(t, nc.Flush(ctx), closed)
	_, err = nc.RTT(ctx)
	assert.ErrorIs(t, err, closed)
	assert.ErrorIs(t, nc.Drain(ctx), closed)
	assert.ErrorIs(t, nc.ForceReconnect(), closed)
	_, err = sub.Next(ctx)
	assert.ErrorIs(t, err, core.ErrSubscriptionClosed)
	assert.Error(t, sub.Unsubscribe())
	assert.Equal(t, 1, events.count(core.EventClosed), "one Closed event, however many Close calls")
}

func TestStatsAcrossReconnects(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option(), core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond))
	sub, err := nc.SubscribeSync("stats.r")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("stats.r", []byte("abc")))
	next(t, sub)
	s.Restart()
	events.wait(core.EventReconnected, 10*time.Second)
	require.NoError(t, nc.Publish("stats.r", []byte("defg")))
	next(t, sub)
	st := nc.Stats()
	assert.Equal(t, core.Stats{InMsgs: 2, InBytes: 7, OutMsgs: 2, OutBytes: 7, Reconnects: 1}, st)
}

func TestFlushConcurrent(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func() {
			_ = nc.Publish("flush.many", []byte(strconv.Itoa(i)))
			errs <- nc.Flush(testCtx(t, 5*time.Second))
		}()
	}
	for i := 0; i < 50; i++ {
		assert.NoError(t, recv(t, (<-chan error)(errs)))
	}
	assert.Equal(t, uint64(50), nc.Stats().OutMsgs)
}
