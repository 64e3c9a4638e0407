package js_test

import (
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

func TestOrderedConsumer(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 500)
	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{FilterSubjects: []string{"s.a"}})
	require.NoError(t, err)

	var check orderCheck
	cc, err := oc.Consume(func(m *js.Msg) { check.add(m.Data) }, js.PullMaxMessages(64))
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
	require.Eventually(t, func() bool { return check.count() >= 1000 }, 30*time.Second, 5*time.Millisecond,
		"ordered consumer stalled at %d after its consumer was deleted", check.count())
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
