package js_test

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
)

// TestConsumePushFlowControl: a push consumer with flow control and
// heartbeats delivers a backlog larger than its flow-control window; the
// consume answers the flow-control requests, or the server would stall.
func TestConsumePushFlowControl(t *testing.T) {
	_, nc, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	data := bytes.Repeat([]byte("x"), 4096)
	for i := 0; i < 2000; i++ {
		_, err := j.PublishAsync(ctx, "s.a", data)
		require.NoError(t, err)
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
	deliver := nc.NewInbox()
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "p", DeliverSubject: deliver, AckPolicy: js.AckExplicit,
		FlowControl: true, Heartbeat: 200 * time.Millisecond, MaxAckPending: 100000})
	require.NoError(t, err)
	var got atomic.Int64
	var sink errSink
	cc, err := c.ConsumePush(ctx, func(m *js.Msg) {
		got.Add(1)
		_ = m.Ack()
	}, js.PushErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return got.Load() == 2000 }, 30*time.Second, 5*time.Millisecond,
		"push consumer stalled at %d of 2000", got.Load())
	waitAckFloor(t, j, "S", "p", 2000, 10*time.Second)
	assert.False(t, sink.has(js.ErrConsumerSequenceGap))
	assert.False(t, sink.has(js.ErrNoHeartbeat))
}

func TestConsumePushQueueGroup(t *testing.T) {
	_, nc, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 1000)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "q", DeliverSubject: nc.NewInbox(), DeliverGroup: "workers", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var a, b atomic.Int64
	cca, err := c.ConsumePush(ctx, func(m *js.Msg) { a.Add(1); _ = m.Ack() })
	require.NoError(t, err)
	defer cca.Stop()
	ccb, err := c.ConsumePush(ctx, func(m *js.Msg) { b.Add(1); _ = m.Ack() })
	require.NoError(t, err)
	defer ccb.Stop()
	require.Eventually(t, func() bool { return a.Load()+b.Load() >= 1000 }, 20*time.Second, 5*time.Millisecond)
	waitAckFloor(t, j, "S", "q", 1000, 10*time.Second)
	assert.Equal(t, int64(1000), a.Load()+b.Load())

	pull, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "pull"})
	require.NoError(t, err)
	_, err = pull.ConsumePush(ctx, func(*js.Msg) {})
	require.ErrorIs(t, err, js.ErrNotPushConsumer)
}

// TestConsumePushHeartbeatAlarm: when the server goes away the idle
// heartbeats stop, and the consume raises ErrNoHeartbeat.
func TestConsumePushHeartbeatAlarm(t *testing.T) {
	s, nc, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "p", DeliverSubject: nc.NewInbox(), AckPolicy: js.AckExplicit,
		Heartbeat: 100 * time.Millisecond})
	require.NoError(t, err)
	var sink errSink
	cc, err := c.ConsumePush(ctx, func(m *js.Msg) {}, js.PushErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()
	time.Sleep(400 * time.Millisecond)
	require.False(t, sink.has(js.ErrNoHeartbeat), "alarm while heartbeats flow")
	s.Shutdown()
	require.Eventually(t, func() bool { return sink.has(js.ErrNoHeartbeat) }, 5*time.Second, 10*time.Millisecond)
}
