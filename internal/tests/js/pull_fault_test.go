package js_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// seqSet records the stream sequences a consume saw.
type seqSet struct {
	mu   sync.Mutex
	seen map[uint64]int
}

func (s *seqSet) add(seq uint64) {
	s.mu.Lock()
	if s.seen == nil {
		s.seen = make(map[uint64]int)
	}
	s.seen[seq]++
	s.mu.Unlock()
}

func (s *seqSet) has(n uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := uint64(1); i <= n; i++ {
		if s.seen[i] == 0 {
			return false
		}
	}
	return true
}

func (s *seqSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func fastReconnect() core.Option {
	return core.WithReconnectWait(20*time.Millisecond, 200*time.Millisecond)
}

// TestConsumeServerKillRestart: a server killed (SIGKILL) and restarted
// under a running Consume; every message, from before and after, is
// delivered and acked.
func TestConsumeServerKillRestart(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	nc := connect(t, s.ClientURL(), fastReconnect(), core.WithMaxReconnects(-1))
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 120*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 1000)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit, AckWait: 2 * time.Second})
	require.NoError(t, err)

	var seen seqSet
	var sink errSink
	cc, err := c.Consume(func(m *js.Msg) {
		md, err := m.Metadata()
		if err == nil {
			seen.add(md.StreamSeq)
		}
		time.Sleep(100 * time.Microsecond) // a handler with some work
		_ = m.Ack()
	}, js.PullMaxMessages(100), js.PullExpiry(2*time.Second), js.PullHeartbeat(500*time.Millisecond), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()

	require.Eventually(t, func() bool { return seen.count() >= 300 }, 20*time.Second, 5*time.Millisecond)
	s.Kill()
	time.Sleep(300 * time.Millisecond)
	s.Restart()
	require.NoError(t, s.WaitJetStreamReady(ctx))
	fill(t, j, "s.a", 1000, 1000)
	require.Eventually(t, func() bool { return seen.has(2000) }, 60*time.Second, 20*time.Millisecond,
		"consume stalled after the restart: %d of 2000 seen", seen.count())
	waitAckFloor(t, j, "S", "d", 2000, 30*time.Second)
	assert.NoError(t, cc.Err())
}

// TestConsumeServerFrozen: a server stopped (SIGSTOP) longer than twice
// the heartbeat: the consume reports the missed heartbeats and pulls
// again once the server answers.
func TestConsumeServerFrozen(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	nc := connect(t, s.ClientURL(), fastReconnect(), core.WithMaxReconnects(-1))
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 120*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 10)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var got atomic.Int64
	var sink errSink
	cc, err := c.Consume(func(m *js.Msg) {
		got.Add(1)
		_ = m.Ack()
	}, js.PullExpiry(4*time.Second), js.PullHeartbeat(300*time.Millisecond), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return got.Load() == 10 }, 10*time.Second, 5*time.Millisecond)

	s.Freeze()
	time.Sleep(1500 * time.Millisecond) // 5 heartbeat intervals
	s.Thaw()
	require.Eventually(t, func() bool { return sink.has(js.ErrNoHeartbeat) }, 10*time.Second, 10*time.Millisecond)
	fill(t, j, "s.a", 10, 10)
	require.Eventually(t, func() bool { return got.Load() == 20 }, 20*time.Second, 5*time.Millisecond,
		"no delivery after the thaw")
	assert.NoError(t, cc.Err())
}

// TestConsumeManyPullsBounded: 10 000 pull requests (one per message)
// leave the server holding at most a couple of waiting requests: every
// request has its own reply subject and expires (nats-server #6307).
func TestConsumeManyPullsBounded(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 120*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	fill(t, j, "s.a", 0, 10000)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckNone})
	require.NoError(t, err)
	var got atomic.Int64
	cc, err := c.ConsumeBorrowed(func(m *js.BorrowedMsg) { got.Add(1) }, js.PullMaxMessages(1))
	require.NoError(t, err)
	defer cc.Stop()
	maxWaiting := 0
	for got.Load() < 10000 {
		ci, err := c.Info(ctx)
		require.NoError(t, err)
		maxWaiting = max(maxWaiting, ci.NumWaiting)
		select {
		case <-ctx.Done():
			t.Fatalf("got %d of 10000", got.Load())
		case <-time.After(50 * time.Millisecond):
		}
	}
	ci, err := c.Info(ctx)
	require.NoError(t, err)
	t.Logf("most waiting requests seen: %d; at the end: %d", maxWaiting, ci.NumWaiting)
	assert.LessOrEqual(t, maxWaiting, 2)
	assert.LessOrEqual(t, ci.NumWaiting, 2)
}

// TestConsumeLeaderStepdown: an R3 consumer's leader steps down while a
// Consume runs and a publisher writes; messages keep arriving: no gap in
// delivery longer than the bound (2 s: the 409 Leadership Change or, at
// worst, two missed 300 ms heartbeats, and the new leader's election).
func TestConsumeLeaderStepdown(t *testing.T) {
	cl := harness.RunCluster(t, 3, harness.WithJetStream())
	nc := connect(t, cl.Server(0).ClientURL(), fastReconnect())
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 120*time.Second)
	// The peers may still be joining the meta group: placement fails until
	// they have.
	require.Eventually(t, func() bool {
		_, err = j.CreateStream(ctx, js.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Replicas: 3})
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "create R3 stream: %v", err)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit, Replicas: 3})
	require.NoError(t, err)

	var mu sync.Mutex
	last := time.Now()
	var longest time.Duration
	var seen seqSet
	var sink errSink
	cc, err := c.Consume(func(m *js.Msg) {
		mu.Lock()
		now := time.Now()
		longest = max(longest, now.Sub(last))
		last = now
		mu.Unlock()
		if md, err := m.Metadata(); err == nil {
			seen.add(md.StreamSeq)
		}
		_ = m.Ack()
	}, js.PullExpiry(3*time.Second), js.PullHeartbeat(300*time.Millisecond), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()

	const total = 600
	stop := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := 0; i < total; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for {
				if _, err := j.Publish(ctx, "s.a", []byte(strconv.Itoa(i))); err == nil || ctx.Err() != nil {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() { close(stop); <-pubDone }()

	require.Eventually(t, func() bool { return seen.count() >= 100 }, 30*time.Second, 5*time.Millisecond)
	mu.Lock()
	longest = 0
	mu.Unlock()
	_, err = nc.Request(ctx, "$JS.API.CONSUMER.LEADER.STEPDOWN.S.d", nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return seen.has(total) }, 60*time.Second, 10*time.Millisecond,
		"consume stalled after the stepdown: %d of %d", seen.count(), total)
	mu.Lock()
	gap := longest
	mu.Unlock()
	t.Logf("longest gap between deliveries across the stepdown: %v; leadership change seen: %v", gap, sink.has(js.ErrLeadershipChange))
	assert.Less(t, gap, 2*time.Second)
	assert.NoError(t, cc.Err())
}

// TestFetchMissedHeartbeat: a fetch with heartbeats against a frozen
// server ends with ErrNoHeartbeat after about twice the interval, long
// before its expiry.
func TestFetchMissedHeartbeat(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	nc := connect(t, s.ClientURL())
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	go func() {
		time.Sleep(500 * time.Millisecond)
		s.Freeze()
	}()
	t.Cleanup(s.Thaw)
	start := time.Now()
	_, err = c.Fetch(ctx, 1, js.PullExpiry(20*time.Second), js.PullHeartbeat(200*time.Millisecond))
	require.ErrorIs(t, err, js.ErrNoHeartbeat)
	assert.Less(t, time.Since(start), 5*time.Second)
	s.Thaw()
}

// TestOrderedConsumerServerFrozen: a frozen server starves the ordered
// consumer past its heartbeats; it recreates its consumer when it can and
// still delivers every message once, in order.
func TestOrderedConsumerServerFrozen(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	nc := connect(t, s.ClientURL(), fastReconnect(), core.WithMaxReconnects(-1))
	j, err := js.New(nc)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	ctx := testCtx(t, 120*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 200)
	oc, err := j.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	var check orderCheck
	var sink errSink
	cc, err := oc.Consume(func(m *js.Msg) { check.add(m.Data) },
		js.PullExpiry(2*time.Second), js.PullHeartbeat(200*time.Millisecond), js.PullErrorHandler(sink.handle))
	require.NoError(t, err)
	defer cc.Stop()
	require.Eventually(t, func() bool { return check.count() == 200 }, 20*time.Second, 5*time.Millisecond)
	s.Freeze()
	time.Sleep(1200 * time.Millisecond)
	s.Thaw()
	require.Eventually(t, func() bool { return sink.has(js.ErrNoHeartbeat) }, 10*time.Second, 10*time.Millisecond)
	fill(t, j, "s.a", 200, 200)
	require.Eventually(t, func() bool { return check.count() >= 400 }, 30*time.Second, 5*time.Millisecond,
		"ordered consumer stalled at %d of 400 after the freeze", check.count())
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, check.err())
	assert.Equal(t, 400, check.count())
}
