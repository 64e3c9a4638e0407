package js_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// consumeAllocs measures allocations per message of a consume that acks
// every message, against a server in its own process (so that only the
// client's allocations count). start runs the consume with a handler
// body it is given; the body blocks at the start of each batch until the
// measurement lets it run, so the window holds the batches run; an owned
// consume allocates on receipt, up to PullMaxMessages ahead of the
// handler, which a small maximum keeps within 0.005 per message.
func consumeAllocs(t *testing.T, borrowed bool) float64 {
	_, _, j := newJS(t, harness.WithProcess())
	ctx := testCtx(t, 120*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "AL", Subjects: []string{"al"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	const batch, runs = 1000, 10
	data := make([]byte, 16)
	for i := 0; i < batch*(runs+2); i++ {
		_, err := j.PublishAsync(ctx, "al", data)
		require.NoError(t, err)
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
	c, err := j.CreateConsumer(ctx, "AL", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit, MaxAckPending: 100000})
	require.NoError(t, err)

	gate := make(chan struct{})
	done := make(chan struct{})
	quit := make(chan struct{})
	n := 0
	step := func(ack func() error) {
		if n%batch == 0 {
			select {
			case <-gate:
			case <-quit:
				return
			}
		}
		if err := ack(); err != nil {
			panic(err)
		}
		n++
		if n%batch == 0 {
			select {
			case done <- struct{}{}:
			case <-quit:
			}
		}
	}
	var cc *js.ConsumeContext
	if borrowed {
		cc, err = c.ConsumeBorrowed(func(m *js.BorrowedMsg) {
			if _, err := m.Metadata(); err != nil {
				panic(err)
			}
			step(m.Ack)
		}, js.PullMaxMessages(50))
	} else {
		cc, err = c.Consume(func(m *js.Msg) {
			if _, err := m.Metadata(); err != nil {
				panic(err)
			}
			step(m.Ack)
		}, js.PullMaxMessages(50))
	}
	require.NoError(t, err)
	defer func() {
		close(quit)
		cc.Stop()
		<-cc.Done()
	}()
	perMsg := testing.AllocsPerRun(runs, func() {
		gate <- struct{}{}
		<-done
	}) / batch
	return perMsg
}

// A borrowed consume allocates nothing per message, acks and metadata
// included, and so do its pull requests (body and reply built in buffers
// the consume keeps).
func TestConsumeBorrowedAllocs(t *testing.T) {
	perMsg := consumeAllocs(t, true)
	t.Logf("allocs per borrowed message: %.4f", perMsg)
	require.Zero(t, perMsg)
}

// An owned consume allocates the message (struct and bytes in one block)
// and nothing else.
func TestConsumeOwnedAllocs(t *testing.T) {
	perMsg := consumeAllocs(t, false)
	t.Logf("allocs per owned message: %.4f", perMsg)
	require.LessOrEqual(t, perMsg, 1.01)
}
