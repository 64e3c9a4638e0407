package interop

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// drainMsgs is how many messages are in flight when a drain starts.
const drainMsgs = 500

// collectReplies reads n replies from a nats.go inbox subscription and
// checks each request was answered exactly once.
func collectNatsReplies(t *testing.T, sub *nats.Subscription, n int) {
	t.Helper()
	seen := make(map[string]bool, n)
	for range n {
		m, err := sub.NextMsg(testTimeout)
		require.NoError(t, err, "after %d replies", len(seen))
		require.False(t, seen[string(m.Data)], "reply %q twice", m.Data)
		seen[string(m.Data)] = true
	}
	pending, _, err := sub.Pending()
	require.NoError(t, err)
	assert.Zero(t, pending)
}

// newRelease returns a channel that handlers wait on and the function that
// closes it; the test's cleanup closes it too, so a failing test leaves no
// handler blocked.
func newRelease(t *testing.T) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(ch) }) }
	t.Cleanup(open)
	return ch, open
}

// Starling's Conn.Drain, with nats.go on the other end: requests nats.go
// sent before the drain are all handled, the replies the handler publishes
// during the drain all reach nats.go, and nothing new is accepted.
func TestDrainStarlingConn(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)

	t.Run("handles what nats.go sent and flushes the replies", func(t *testing.T) {
		sc := connectStarling(t, s.ClientURL())
		nc := connectNats(t, s.ClientURL())
		release, open := newRelease(t)
		var handled atomic.Int64
		_, err := sc.Subscribe("drain.s.work", func(m *core.Msg) {
			<-release // the first message holds the queue until the drain runs
			handled.Add(1)
			if err := m.Respond(m.Data); err != nil {
				t.Errorf("respond during drain: %v", err)
			}
		})
		require.NoError(t, err)
		flushStarling(t, sc)

		replies := nc.NewRespInbox()
		rsub, err := nc.SubscribeSync(replies)
		require.NoError(t, err)
		for i := range drainMsgs {
			require.NoError(t, nc.PublishRequest("drain.s.work", replies, []byte(strconv.Itoa(i))))
		}
		flushNats(t, nc)

		drained := make(chan error, 1)
		ctx := testCtx(t)
		go func() { drained <- sc.Drain(ctx) }()
		eventually(t, "draining", sc.IsDraining)
		_, err = sc.Subscribe("drain.s.late", func(*core.Msg) {})
		assert.ErrorIs(t, err, core.ErrConnectionDraining)
		assert.ErrorIs(t, sc.Drain(testCtx(t)), core.ErrConnectionDraining)
		open()

		select {
		case err := <-drained:
			require.NoError(t, err)
		case <-time.After(testTimeout):
			t.Fatal("Drain did not return")
		}
		assert.EqualValues(t, drainMsgs, handled.Load(), "every message sent before the drain is handled")
		assert.True(t, sc.IsClosed())
		assert.ErrorIs(t, sc.Publish("drain.s.work", nil), core.ErrConnectionClosed)
		<-sc.Closed()
		assert.NoError(t, sc.Err())
		collectNatsReplies(t, rsub, drainMsgs)
	})

	t.Run("flushes Starling's publishes to nats.go", func(t *testing.T) {
		sc := connectStarling(t, s.ClientURL())
		nc := connectNats(t, s.ClientURL())
		sub, err := nc.SubscribeSync("drain.s.pub")
		require.NoError(t, err)
		flushNats(t, nc)
		data := payload(1024, 5)
		for range drainMsgs {
			require.NoError(t, sc.Publish("drain.s.pub", data))
		}
		require.NoError(t, sc.Drain(testCtx(t)))
		for i := range drainMsgs {
			m, err := sub.NextMsg(testTimeout)
			require.NoError(t, err, "message %d", i)
			requireData(t, data, m.Data, "drained publish")
		}
	})

	t.Run("subscription drain", func(t *testing.T) {
		sc := connectStarling(t, s.ClientURL())
		nc := connectNats(t, s.ClientURL())
		sub, err := sc.SubscribeSync("drain.s.sub")
		require.NoError(t, err)
		flushStarling(t, sc)
		for i := range drainMsgs {
			require.NoError(t, nc.Publish("drain.s.sub", []byte(strconv.Itoa(i))))
		}
		flushNats(t, nc)

		drained := make(chan error, 1)
		ctx := testCtx(t)
		go func() { drained <- sub.Drain(ctx) }()
		// Drain returns once everything queued has been pulled: the loop
		// ends by itself when the subscription is done.
		n := 0
		for m, err := range sub.Messages(ctx) {
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(n), string(m.Data))
			n++
		}
		assert.Equal(t, drainMsgs, n)
		require.NoError(t, <-drained)
		assert.False(t, sub.IsValid())

		// The connection lives on; the server no longer sends to the sub.
		assert.True(t, sc.IsConnected())
		_, err = nc.Request("drain.s.sub", nil, testTimeout)
		assert.True(t, isNatsNoResponders(err), "%v", err)
	})
}

// nats.go's Drain, with Starling on the other end: the mirror image.
func TestDrainNatsGoConn(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)

	t.Run("handles what Starling sent and flushes the replies", func(t *testing.T) {
		closed := make(chan struct{})
		nc := connectNats(t, s.ClientURL(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
		sc := connectStarling(t, s.ClientURL())
		release, open := newRelease(t)
		var handled atomic.Int64
		_, err := nc.Subscribe("drain.n.work", func(m *nats.Msg) {
			<-release // the first message holds the queue until the drain runs
			handled.Add(1)
			if err := m.Respond(m.Data); err != nil {
				t.Errorf("respond during drain: %v", err)
			}
		})
		require.NoError(t, err)
		flushNats(t, nc)

		replies := sc.NewInbox()
		rsub, err := sc.SubscribeSync(replies)
		require.NoError(t, err)
		flushStarling(t, sc)
		for i := range drainMsgs {
			require.NoError(t, sc.PublishRequest("drain.n.work", replies, []byte(strconv.Itoa(i))))
		}
		flushStarling(t, sc)

		require.NoError(t, nc.Drain())
		assert.True(t, nc.IsDraining())
		assert.ErrorIs(t, func() error { _, err := nc.Subscribe("drain.n.late", func(*nats.Msg) {}); return err }(), nats.ErrConnectionDraining)
		open()
		select {
		case <-closed:
		case <-time.After(testTimeout):
			t.Fatal("nats.go drain did not close the connection")
		}
		assert.EqualValues(t, drainMsgs, handled.Load())

		seen := make(map[string]bool)
		ctx := testCtx(t)
		for range drainMsgs {
			m, err := rsub.Next(ctx)
			require.NoError(t, err, "after %d replies", len(seen))
			require.False(t, seen[string(m.Data)], "reply %q twice", m.Data)
			seen[string(m.Data)] = true
		}
	})

	t.Run("flushes nats.go's publishes to Starling", func(t *testing.T) {
		nc := connectNats(t, s.ClientURL())
		sc := connectStarling(t, s.ClientURL())
		sub, err := sc.SubscribeSync("drain.n.pub")
		require.NoError(t, err)
		flushStarling(t, sc)
		data := payload(1024, 6)
		for range drainMsgs {
			require.NoError(t, nc.Publish("drain.n.pub", data))
		}
		require.NoError(t, nc.Drain())
		ctx := testCtx(t)
		for i := range drainMsgs {
			m, err := sub.Next(ctx)
			require.NoError(t, err, "message %d", i)
			requireData(t, data, m.Data, "drained publish")
		}
	})

	t.Run("subscription drain", func(t *testing.T) {
		nc := connectNats(t, s.ClientURL())
		sc := connectStarling(t, s.ClientURL())
		release, open := newRelease(t)
		var handled atomic.Int64
		sub, err := nc.Subscribe("drain.n.sub", func(*nats.Msg) {
			<-release
			handled.Add(1)
		})
		require.NoError(t, err)
		flushNats(t, nc)
		for i := range drainMsgs {
			require.NoError(t, sc.Publish("drain.n.sub", []byte(strconv.Itoa(i))))
		}
		flushStarling(t, sc)
		require.NoError(t, sub.Drain())
		open()
		eventually(t, "nats.go subscription drained", func() bool { return !sub.IsValid() })
		eventually(t, "every message handled", func() bool { return handled.Load() == drainMsgs })
		assert.True(t, nc.IsConnected())
		_, err = sc.Request(context.Background(), "drain.n.sub", nil)
		assert.True(t, isCoreNoResponders(err), "%v", err)
	})
}
