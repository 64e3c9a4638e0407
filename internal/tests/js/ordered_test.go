package js_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// orderCheck verifies that payloads "0", "1", ... arrive exactly once, in
// order.
type orderCheck struct {
	mu   sync.Mutex
	next int
	bad  string
}

func (o *orderCheck) add(data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if got := string(data); got != strconv.Itoa(o.next) && o.bad == "" {
		o.bad = "got " + got + ", want " + strconv.Itoa(o.next)
	}
	o.next++
}

func (o *orderCheck) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next
}

func (o *orderCheck) err() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bad
}

// heldOrdered is an ordered consume of a stream of n stored messages,
// pulled max at a time, whose handler holds the first message until
// release: what arrives meanwhile waits in the consumer's queue.
type heldOrdered struct {
	j      *js.JetStream
	stream string
	check  orderCheck
	sink   errSink
	hold   chan struct{}
}

// startHeldOrdered starts it and returns once the server has delivered all
// n and says its waiting pulls satisfy waiting.
func startHeldOrdered(t *testing.T, ctx context.Context, stream string, n, max int, waiting func(numWaiting int) bool) *heldOrdered {
	t.Helper()
	_, _, j := newJS(t)
	addStream(t, j, stream, "h.>")
	fill(t, j, "h.a", 0, n)
	oc, err := j.OrderedConsumer(ctx, stream, js.OrderedConsumerConfig{})
	require.NoError(t, err)
	h := &heldOrdered{j: j, stream: stream, hold: make(chan struct{})}
	first := make(chan struct{})
	cc, err := oc.Consume(func(m *js.Msg) {
		if h.check.count() == 0 {
			close(first)
			<-h.hold
		}
		h.check.add(m.Data)
	}, js.PullMaxMessages(max), js.PullErrorHandler(h.sink.handle))
	require.NoError(t, err)
	t.Cleanup(func() {
		cc.Stop()
		<-cc.Done()
	})
	t.Cleanup(h.release)
	<-first
	require.Eventually(t, func() bool {
		for name, err := range j.ConsumerNames(ctx, stream) {
			if err != nil {
				return false
			}
			ci, err := j.ConsumerInfo(ctx, stream, name)
			return err == nil && ci.Delivered.Stream == uint64(n) && waiting(ci.NumWaiting)
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	return h
}

func (h *heldOrdered) release() {
	select {
	case <-h.hold:
	default:
		close(h.hold)
	}
}

// deleteConsumers deletes the server consumers under it.
func (h *heldOrdered) deleteConsumers(t *testing.T, ctx context.Context) {
	t.Helper()
	for name, err := range h.j.ConsumerNames(ctx, h.stream) {
		require.NoError(t, err)
		require.NoError(t, h.j.DeleteConsumer(ctx, h.stream, name))
	}
}

// The server consumer deleted while none of its pulls waits at the server
// (each was filled, and the handler holds the queue full): no 409 comes.
// The next pull, sent to a consumer that no longer exists, meets no
// responders (503); the session asks whether the consumer exists, and the
// ordered consumer replaces it. Were that 503 lost too, missed heartbeats
// (2 × DefaultOrderedHeartbeat) would still replace it within the bound.
func TestOrderedConsumerDeletedWhileNoPullWaits(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	h := startHeldOrdered(t, ctx, "Q", 10, 10, func(w int) bool { return w == 0 })
	h.deleteConsumers(t, ctx)
	h.release()
	fill(t, h.j, "h.a", 10, 10)
	start := time.Now()
	require.Eventually(t, func() bool { return h.check.count() >= 20 }, 25*time.Second, 10*time.Millisecond,
		"ordered consumer stalled at %d after its consumer was deleted", h.check.count())
	h.sink.mu.Lock()
	t.Logf("recovered %v after the consumer was deleted; reported %v", time.Since(start).Round(time.Millisecond), h.sink.errs)
	h.sink.mu.Unlock()
	require.Empty(t, h.check.err())
}

// The server consumer deleted while a pull waits at the server and the
// handler holds received messages in the queue: the 409 Consumer Deleted
// ends the session, and what it had received but not handed over must
// move to the next one, not be dropped (the next consumer starts after the
// last message received, so a dropped one would never come again).
func TestOrderedConsumerDeletedKeepsQueued(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	h := startHeldOrdered(t, ctx, "K", 50, 100, func(w int) bool { return w > 0 })
	h.deleteConsumers(t, ctx)
	// Let the 409 arrive and the replacement start while 49 wait.
	require.Eventually(t, func() bool {
		names := 0
		for _, err := range h.j.ConsumerNames(ctx, "K") {
			if err == nil {
				names++
			}
		}
		return names == 1
	}, 20*time.Second, 10*time.Millisecond, "a replacement consumer")
	h.release()
	fill(t, h.j, "h.a", 50, 10)
	require.Eventually(t, func() bool { return h.check.count() >= 60 || h.check.err() != "" }, 20*time.Second, 10*time.Millisecond)
	require.Empty(t, h.check.err())
	assert.Equal(t, 60, h.check.count())
}

func TestOrderedConsumer(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 500)
	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{FilterSubjects: []string{"s.a"}})
	require.NoError(t, err)

	var check orderCheck
	var sink errSink
	cc, err := oc.Consume(func(m *js.Msg) { check.add(m.Data) }, js.PullMaxMessages(64), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	_, err = oc.Consume(func(m *js.Msg) {})
	require.ErrorIs(t, err, js.ErrOrderedBusy)
	require.Eventually(t, func() bool { return check.count() >= 500 }, 20*time.Second, 5*time.Millisecond)

	// Deleting the server consumer under it: the ordered consumer
	// replaces it and carries on after the last message it delivered.
	var names []string
	for n, err := range j.ConsumerNames(ctx, "S") {
		require.NoError(t, err)
		names = append(names, n)
	}
	require.Len(t, names, 1)
	require.NoError(t, j.DeleteConsumer(ctx, "S", names[0]))
	fill(t, j, "s.a", 500, 500)
	recovered := assert.Eventually(t, func() bool { return check.count() >= 1000 }, 30*time.Second, 5*time.Millisecond)
	sink.mu.Lock()
	reported := fmt.Sprint(sink.errs)
	sink.mu.Unlock()
	require.True(t, recovered, "ordered consumer stalled at %d after its consumer was deleted; it reported %s", check.count(), reported)
	cc.Stop()
	<-cc.Done()
	require.Empty(t, check.err())
	assert.Equal(t, 1000, check.count())
	assert.Equal(t, uint64(1000), oc.LastStreamSequence())
	assert.NoError(t, cc.Err())

	// Messages resumes after the last delivered sequence.
	fill(t, j, "s.a", 1000, 10)
	n := 0
	for m, err := range oc.Messages(ctx) {
		require.NoError(t, err)
		check.add(m.Data)
		if n++; n == 10 {
			break
		}
	}
	require.Empty(t, check.err())
	require.Equal(t, 1010, check.count())
}

// TestOrderedConsumerStreamDeleted: with its stream gone the ordered
// consumer cannot recover and says why.
func TestOrderedConsumerStreamDeleted(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 5)
	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	n := 0
	var last error
	for _, err := range oc.Messages(ctx, js.PullExpiry(time.Second), js.PullHeartbeat(200*time.Millisecond)) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 5 {
			require.NoError(t, j.DeleteStream(ctx, "S"))
		}
	}
	require.ErrorIs(t, last, js.ErrStreamNotFound)
}

// TestOrderedConsumerServerKillRestart: the server is killed and restarted
// (its in-memory consumer is gone) while a publisher writes; every message
// arrives exactly once, in order.
func TestOrderedConsumerServerKillRestart(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	nc := connect(t, s.ClientURL(), fastReconnect(), core.WithMaxReconnects(-1))
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 120*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 1000)

	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	var check orderCheck
	cc, err := oc.Consume(func(m *js.Msg) {
		time.Sleep(50 * time.Microsecond)
		check.add(m.Data)
	}, js.PullMaxMessages(100), js.PullExpiry(2*time.Second), js.PullHeartbeat(300*time.Millisecond))
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return check.count() >= 300 }, 20*time.Second, 2*time.Millisecond)
	s.Kill()
	time.Sleep(300 * time.Millisecond)
	s.Restart()
	require.NoError(t, s.WaitJetStreamReady(ctx))
	fill(t, j, "s.a", 1000, 1000)
	require.Eventually(t, func() bool { return check.count() >= 2000 }, 60*time.Second, 10*time.Millisecond,
		"ordered consumer stalled at %d of 2000 after the restart", check.count())
	time.Sleep(200 * time.Millisecond) // nothing more may come
	require.Empty(t, check.err())
	assert.Equal(t, 2000, check.count())
	assert.NoError(t, cc.Err())
}

// TestOrderedConsumerNoDuplicates: the server consumer under an ordered
// consumer is reset back to the stream's start (as an operator might);
// what it delivers again is not delivered to the user twice.
func TestOrderedConsumerNoDuplicates(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 100)
	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	var check orderCheck
	cc, err := oc.Consume(func(m *js.Msg) { check.add(m.Data) })
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return check.count() == 100 }, 20*time.Second, 5*time.Millisecond)
	var name string
	for n, err := range j.ConsumerNames(ctx, "S") {
		require.NoError(t, err)
		name = n
	}
	_, seq, err := j.ResetConsumer(ctx, "S", name, 1)
	require.NoError(t, err)
	require.Equal(t, uint64(1), seq)
	fill(t, j, "s.a", 100, 100)
	require.Eventually(t, func() bool { return check.count() >= 200 }, 20*time.Second, 5*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, check.err())
	assert.Equal(t, 200, check.count())
}
