package js_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// An async publish allocates its future and nothing else: the reply
// subject is the slot's, the ack is parsed in place on the reader
// goroutine, and the stream name is reused while it repeats.
func TestPublishAsyncAllocs(t *testing.T) {
	_, _, j := newJS(t, harness.WithProcess())
	ctx := testCtx(t, 30*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "AL", Subjects: []string{"al"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	data := make([]byte, 16)
	const batch = 200
	run := func() {
		for i := 0; i < batch; i++ {
			if _, err := j.PublishAsync(ctx, "al", data); err != nil {
				panic(err)
			}
		}
		if err := j.PublishAsyncComplete(ctx); err != nil {
			panic(err)
		}
	}
	run() // warm: slots' reply subjects, deadline queue, subscription
	perMsg := testing.AllocsPerRun(20, run) / batch
	t.Logf("allocs per async publish: %.3f", perMsg)
	// 1 for the future; the rest amortizes PublishAsyncComplete's channel.
	require.LessOrEqual(t, perMsg, 1.05)
}

// A sync publish: its request message, the ack, core's reply (1), and the
// attempt's deadline context (5: context, cancel func, timer, Done
// channel), needed while the caller's deadline is later than the ack
// wait; a caller deadline sooner than that saves those 5.
func TestPublishAllocs(t *testing.T) {
	_, _, j := newJS(t, harness.WithProcess())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "AS", Subjects: []string{"as"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	data := make([]byte, 16)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := j.Publish(ctx, "as", data); err != nil {
			panic(err)
		}
	})
	t.Logf("allocs per sync publish: %.1f", allocs)
	require.LessOrEqual(t, allocs, 9.0)
}
