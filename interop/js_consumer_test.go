package interop

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
)

// A stream filled and a consumer made by nats.go are consumed by
// Starling; nats.go sees Starling's acks in the consumer's state, and the
// metadata both clients parse from one message agree.
func TestJetStreamConsumerNatsToStarling(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := nj.CreateStream(ctx, jetstream.StreamConfig{Name: "NC", Subjects: []string{"nc.>"}})
	require.NoError(t, err)
	for i := 0; i < 300; i++ {
		_, err := nj.PublishAsync("nc.a", []byte(strconv.Itoa(i)))
		require.NoError(t, err)
	}
	select {
	case <-nj.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("nats.go async publishes not acked")
	}
	ncons, err := nj.CreateConsumer(ctx, "NC", jetstream.ConsumerConfig{Durable: "ngc", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: 10 * time.Second, MaxAckPending: 500, Metadata: map[string]string{"made-by": "nats.go"}})
	require.NoError(t, err)

	// Starling reads nats.go's config, and a read-modify-write keeps it.
	ci, err := sj.ConsumerInfo(ctx, "NC", "ngc")
	require.NoError(t, err)
	assert.Equal(t, js.AckExplicit, ci.Config.AckPolicy)
	assert.Equal(t, 10*time.Second, ci.Config.AckWait)
	cfg := ci.Config
	cfg.Description = "updated by starling"
	c, err := sj.UpdateConsumer(ctx, "NC", cfg)
	require.NoError(t, err)
	ni, err := ncons.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, "updated by starling", ni.Config.Description)
	assert.Equal(t, "nats.go", ni.Config.Metadata["made-by"])
	assert.Equal(t, 500, ni.Config.MaxAckPending)

	// One message, both parsers.
	nm, err := ncons.Next(jetstream.FetchMaxWait(5 * time.Second))
	require.NoError(t, err)
	nmd, err := nm.Metadata()
	require.NoError(t, err)
	smd, err := js.ParseMetadata(nm.Reply())
	require.NoError(t, err)
	assert.Equal(t, nmd.Sequence.Stream, smd.StreamSeq)
	assert.Equal(t, nmd.Sequence.Consumer, smd.ConsumerSeq)
	assert.Equal(t, nmd.NumDelivered, smd.NumDelivered)
	assert.Equal(t, nmd.NumPending, smd.NumPending)
	assert.True(t, nmd.Timestamp.Equal(smd.Timestamp))
	assert.Equal(t, nmd.Stream, smd.Stream)
	assert.Equal(t, nmd.Consumer, smd.Consumer)
	require.NoError(t, nm.Ack())

	var n atomic.Int64
	cc, err := c.Consume(func(m *js.Msg) {
		n.Add(1)
		_ = m.Ack()
	})
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return n.Load() == 299 }, testTimeout, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		ni, err := ncons.Info(ctx)
		return err == nil && ni.AckFloor.Stream == 300 && ni.NumAckPending == 0
	}, testTimeout, 10*time.Millisecond, "nats.go does not see Starling's acks")
}

// A stream filled and a consumer made by Starling are consumed by nats.go;
// Starling reads the config nats.go sees and nats.go's acks and Naks in
// the consumer's state.
func TestJetStreamConsumerStarlingToNats(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := sj.CreateStream(ctx, js.StreamConfig{Name: "SC", Subjects: []string{"sc.>"}})
	require.NoError(t, err)
	for i := 0; i < 300; i++ {
		_, err := sj.PublishAsync(ctx, "sc.a", []byte(strconv.Itoa(i)))
		require.NoError(t, err)
	}
	require.NoError(t, sj.PublishAsyncComplete(ctx))
	_, err = sj.CreateConsumer(ctx, "SC", js.ConsumerConfig{Durable: "sgc", AckPolicy: js.AckExplicit, AckWait: 30 * time.Second,
		FilterSubject: "sc.a", BackOff: []time.Duration{time.Second, 5 * time.Second}, MaxDeliver: 5})
	require.NoError(t, err)

	ncons, err := nj.Consumer(ctx, "SC", "sgc")
	require.NoError(t, err)
	ni := ncons.CachedInfo()
	assert.Equal(t, "sc.a", ni.Config.FilterSubject)
	assert.Equal(t, []time.Duration{time.Second, 5 * time.Second}, ni.Config.BackOff)

	var n atomic.Int64
	next := int64(0)
	var outOfOrder atomic.Bool
	cc, err := ncons.Consume(func(m jetstream.Msg) {
		if string(m.Data()) == "299" {
			_ = m.Nak() // the last one stays unacked, every time it comes
			n.Store(300)
			return
		}
		if string(m.Data()) != strconv.FormatInt(next, 10) {
			outOfOrder.Store(true)
		}
		next++
		n.Add(1)
		_ = m.Ack()
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return n.Load() >= 300 }, testTimeout, 5*time.Millisecond)
	cc.Stop()
	assert.False(t, outOfOrder.Load())

	c, err := sj.Consumer(ctx, "SC", "sgc")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ci, err := c.Info(ctx)
		return err == nil && ci.AckFloor.Stream == 299
	}, testTimeout, 10*time.Millisecond, "Starling does not see nats.go's acks")
	// The message nats.go Naks is still owed: delivered, never acked (the ack floor
	// waits below it). Whether it counts as ack-pending at this instant depends on
	// where its Nak-driven redeliveries are, so that is not what is checked.
	ci, err := c.Info(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 300, ci.Delivered.Stream, "every message was delivered")
	assert.EqualValues(t, 299, ci.AckFloor.Stream, "the Nak'd message is still owed")
}

// nats.go's ordered consumer and Starling's read the same stream the same
// way.
func TestJetStreamOrderedBothClients(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := nj.CreateStream(ctx, jetstream.StreamConfig{Name: "OC", Subjects: []string{"oc.>"}})
	require.NoError(t, err)
	for i := 0; i < 100; i++ {
		_, err := sj.Publish(ctx, "oc.a", []byte(strconv.Itoa(i)))
		require.NoError(t, err)
	}
	oc, err := sj.OrderedConsumer(ctx, "OC", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	i := 0
	for m, err := range oc.Messages(ctx) {
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), string(m.Data))
		if i++; i == 100 {
			break
		}
	}
	noc, err := nj.OrderedConsumer(ctx, "OC", jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	for i := 0; i < 100; i++ {
		m, err := noc.Next(jetstream.FetchMaxWait(5 * time.Second))
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), string(m.Data()))
	}
}
