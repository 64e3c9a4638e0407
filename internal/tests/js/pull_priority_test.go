package js_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
)

// TestConsumePinnedGroup: two consumes of a pinned_client group; the
// server pins one, which gets every message, and the other none.
func TestConsumePinnedGroup(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	_, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit,
		PriorityGroups: []string{"g"}, PriorityPolicy: js.PriorityPinnedClient, PinnedTTL: time.Minute})
	require.NoError(t, err)
	var a, b atomic.Int64
	consume := func(n *atomic.Int64) *js.ConsumeContext {
		c, err := j.ConsumerHandle("S", "d") // a handle each: each keeps its own pin
		require.NoError(t, err)
		cc, err := c.Consume(func(m *js.Msg) { n.Add(1); _ = m.Ack() },
			js.PullPriorityGroup("g"), js.PullExpiry(2*time.Second), js.PullMaxMessages(10))
		require.NoError(t, err)
		return cc
	}
	cca := consume(&a)
	defer cca.Stop()
	ccb := consume(&b)
	defer ccb.Stop()
	fill(t, j, "s.a", 0, 100)
	require.Eventually(t, func() bool { return a.Load()+b.Load() == 100 }, 20*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	assert.True(t, a.Load() == 0 || b.Load() == 0, "both members got messages: %d and %d", a.Load(), b.Load())
	assert.NoError(t, cca.Err())
	assert.NoError(t, ccb.Err())
}

// TestConsumeOverflowMinPending: a member with min_pending gets messages
// only while the backlog is at least that deep.
func TestConsumeOverflowMinPending(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit,
		PriorityGroups: []string{"g"}, PriorityPolicy: js.PriorityOverflow})
	require.NoError(t, err)
	fill(t, j, "s.a", 0, 5)
	_, err = c.Fetch(ctx, 1, js.PullPriorityGroup("g"), js.PullMinPending(10), js.PullExpiry(500*time.Millisecond))
	require.ErrorIs(t, err, js.ErrPullExpired, "5 pending is below min_pending 10")
	fill(t, j, "s.a", 5, 10)
	msgs, err := c.Fetch(ctx, 1, js.PullPriorityGroup("g"), js.PullMinPending(10), js.PullExpiry(2*time.Second))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
}

// TestConsumeMaxBytes: a consume bounded by bytes rather than messages
// still delivers everything, refilling by its byte threshold.
func TestConsumeMaxBytes(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 500)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var n atomic.Int64
	var sink errSink
	cc, err := c.Consume(func(m *js.Msg) { n.Add(1); _ = m.Ack() }, js.PullMaxBytes(2048), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return n.Load() == 500 }, 20*time.Second, 5*time.Millisecond, "got %d", n.Load())
	assert.NoError(t, cc.Err())
}
