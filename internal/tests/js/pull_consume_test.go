package js_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// fill publishes n messages "0".."n-1" to subject and waits for their acks.
func fill(t testing.TB, j *js.JetStream, subject string, from, n int) {
	t.Helper()
	ctx := testCtx(t, 60*time.Second)
	for i := from; i < from+n; i++ {
		_, err := j.PublishAsync(ctx, subject, []byte(strconv.Itoa(i)))
		require.NoError(t, err)
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
}

// errSink collects what a consume reports.
type errSink struct {
	mu   sync.Mutex
	errs []error
}

func (e *errSink) handle(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *errSink) has(target error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// waitAckFloor waits until the consumer has acks for every message up to
// seq and nothing pending.
func waitAckFloor(t *testing.T, j *js.JetStream, stream, name string, seq uint64, within time.Duration) {
	t.Helper()
	ctx := testCtx(t, within+10*time.Second)
	require.Eventually(t, func() bool {
		ci, err := j.ConsumerInfo(ctx, stream, name)
		return err == nil && ci.AckFloor.Stream >= seq && ci.NumAckPending == 0
	}, within, 20*time.Millisecond)
}

func TestConsumeOwned(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 1000)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)

	var next atomic.Int64
	var bad atomic.Value
	all := make(chan struct{})
	cc, err := c.Consume(func(m *js.Msg) {
		want := next.Add(1) - 1
		if string(m.Data) != strconv.FormatInt(want, 10) {
			bad.Store("got " + string(m.Data) + " want " + strconv.FormatInt(want, 10))
		}
		if err := m.Ack(); err != nil {
			bad.Store(err.Error())
		}
		if want == 999 {
			close(all)
		}
	}, js.PullMaxMessages(64))
	require.NoError(t, err)
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("consumed %d of 1000", next.Load())
	}
	assert.Nil(t, bad.Load())
	waitAckFloor(t, j, "S", "d", 1000, 10*time.Second)
	cc.Stop()
	<-cc.Done()
	assert.NoError(t, cc.Err())
}

func TestConsumeBorrowed(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 500)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)

	n := 0
	var bad error
	all := make(chan struct{})
	cc, err := c.ConsumeBorrowed(func(m *js.BorrowedMsg) {
		md, err := m.Metadata()
		if err == nil && md.StreamSeq != uint64(n+1) {
			err = errors.New("stream seq " + strconv.FormatUint(md.StreamSeq, 10))
		}
		if err == nil && string(m.Data) != strconv.Itoa(n) {
			err = errors.New("data " + string(m.Data))
		}
		if err == nil {
			err = m.Ack()
		}
		if err == nil && !errors.Is(m.Ack(), js.ErrMsgAlreadyAcked) {
			err = errors.New("second ack sent")
		}
		if err != nil && bad == nil {
			bad = err
		}
		n++
		if n == 500 {
			close(all)
		}
	}, js.PullMaxMessages(100))
	require.NoError(t, err)
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatal("not all consumed")
	}
	cc.Stop()
	<-cc.Done()
	require.NoError(t, bad)
	waitAckFloor(t, j, "S", "d", 500, 10*time.Second)
}

func TestMessagesIterator(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 300)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	i := 0
	for m, err := range c.Messages(ctx, js.PullMaxMessages(50)) {
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), string(m.Data))
		require.NoError(t, m.Ack())
		i++
		if i == 300 {
			break
		}
	}
	waitAckFloor(t, j, "S", "d", 300, 10*time.Second)

	// A cancelled context ends the loop without an error.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	for _, err := range c.Messages(cctx, js.PullExpiry(time.Second)) {
		require.NoError(t, err)
	}
}

// TestConsumeConsumerDeleted: deleting the consumer under a consume ends
// it with ErrConsumerDeleted, told to the handler and the iterator.
func TestConsumeConsumerDeleted(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 10)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)

	var got atomic.Int64
	var sink errSink
	cc, err := c.Consume(func(m *js.Msg) {
		got.Add(1)
		_ = m.Ack()
	}, js.PullErrorHandler(sink.handle), js.PullExpiry(2*time.Second))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return got.Load() == 10 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, j.DeleteConsumer(ctx, "S", "d"))
	select {
	case <-cc.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("consume did not end after its consumer was deleted")
	}
	require.ErrorIs(t, cc.Err(), js.ErrConsumerDeleted)
	assert.True(t, sink.has(js.ErrConsumerDeleted))

	c2, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d2", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var last error
	n := 0
	for m, err := range c2.Messages(ctx, js.PullExpiry(2*time.Second)) {
		if err != nil {
			last = err
			break
		}
		require.NoError(t, m.Ack())
		if n++; n == 10 {
			require.NoError(t, j.DeleteConsumer(ctx, "S", "d2"))
		}
	}
	require.ErrorIs(t, last, js.ErrConsumerDeleted)
}

// TestConsumeDeletedWhileIdle: a consumer deleted between pulls (no pull
// waiting to hear 409) is found missing after the missed heartbeats.
func TestConsumeDeletedWhileDisconnected(t *testing.T) {
	s, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	_, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	nc2 := connect(t, s.ClientURL(), core.WithReconnectWait(20*time.Millisecond, 50*time.Millisecond))
	j2, err := js.New(nc2)
	require.NoError(t, err)
	c, err := j2.ConsumerHandle("S", "d")
	require.NoError(t, err)
	cc, err := c.Consume(func(m *js.Msg) {}, js.PullExpiry(time.Second), js.PullHeartbeat(200*time.Millisecond))
	require.NoError(t, err)
	defer cc.Stop()
	// Restarting an in-process server removes nothing, but the consumer
	// deleted while this client is away never sends it a 409.
	s.Shutdown()
	s.Restart()
	require.NoError(t, j.DeleteConsumer(ctx, "S", "d"))
	select {
	case <-cc.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("consume did not end")
	}
	require.ErrorIs(t, cc.Err(), js.ErrConsumerDeleted)
}

func TestConsumeDrain(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 200)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var n atomic.Int64
	started := make(chan struct{})
	var once sync.Once
	cc, err := c.Consume(func(m *js.Msg) {
		once.Do(func() { close(started) })
		time.Sleep(time.Millisecond)
		n.Add(1)
		_ = m.Ack()
	}, js.PullMaxMessages(50))
	require.NoError(t, err)
	<-started
	cc.Drain()
	select {
	case <-cc.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("drain did not end")
	}
	require.NoError(t, cc.Err())
	delivered := n.Load()
	assert.Greater(t, delivered, int64(0))
	assert.LessOrEqual(t, delivered, int64(200))
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, delivered, n.Load(), "no delivery after Done")
}

func TestConsumeOptionsRefused(t *testing.T) {
	_, _, j := newJS(t)
	c, err := j.ConsumerHandle("S", "d")
	require.NoError(t, err)
	_, err = c.Consume(nil)
	require.ErrorIs(t, err, js.ErrInvalidOption)
	_, err = c.Consume(func(*js.Msg) {}, js.PullExpiry(2*time.Second), js.PullHeartbeat(2*time.Second))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	_, err = c.Consume(func(*js.Msg) {}, js.PullPriority(3))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	_, err = c.Consume(func(*js.Msg) {}, js.PullPriorityGroup("bad group"))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	_, err = j.ConsumerHandle("S", "a.b")
	require.ErrorIs(t, err, js.ErrInvalidName)
}

// TestConsumeMissingConsumer: a consume started on a consumer that does
// not exist ends with ErrConsumerDeleted (wrapping ErrConsumerNotFound)
// instead of pulling into the void.
func TestConsumeMissingConsumer(t *testing.T) {
	_, _, j := newJS(t)
	addStream(t, j, "S", "s.>")
	c, err := j.ConsumerHandle("S", "nope")
	require.NoError(t, err)
	cc, err := c.Consume(func(*js.Msg) {}, js.PullExpiry(time.Second))
	require.NoError(t, err)
	select {
	case <-cc.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("consume of a missing consumer did not end")
	}
	require.ErrorIs(t, cc.Err(), js.ErrConsumerDeleted)
	require.ErrorIs(t, cc.Err(), js.ErrConsumerNotFound)
}

// TestConsumeStopFromHandler: both handlers may stop their own consume.
func TestConsumeStopFromHandler(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	fill(t, j, "s.a", 0, 100)
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)

	var cc *js.ConsumeContext
	var ready sync.WaitGroup
	ready.Add(1)
	n := 0
	cc, err = c.ConsumeBorrowed(func(m *js.BorrowedMsg) {
		ready.Wait()
		_ = m.Ack()
		if n++; n == 10 {
			cc.Stop()
		}
	})
	require.NoError(t, err)
	ready.Done()
	select {
	case <-cc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("borrowed consume stopped from its handler did not end")
	}
	assert.Equal(t, 10, n)

	// The first consume's pull took all 100; those it did not ack come
	// back only after the ack wait, so the second uses a consumer of its
	// own.
	c, err = j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d2", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	var occ *js.ConsumeContext
	var oready sync.WaitGroup
	oready.Add(1)
	var on atomic.Int64
	occ, err = c.Consume(func(m *js.Msg) {
		oready.Wait()
		_ = m.Ack()
		if on.Add(1) == 10 {
			occ.Stop()
		}
	})
	require.NoError(t, err)
	oready.Done()
	select {
	case <-occ.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("owned consume stopped from its handler did not end")
	}
	assert.Equal(t, int64(10), on.Load())
}

// TestConsumeConnectionClosed: closing the connection ends every kind of
// consume with core.ErrConnectionClosed.
func TestConsumeConnectionClosed(t *testing.T) {
	s, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	_, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	nc2 := connect(t, s.ClientURL())
	j2, err := js.New(nc2)
	require.NoError(t, err)
	c, err := j2.ConsumerHandle("S", "d")
	require.NoError(t, err)
	pull, err := c.Consume(func(*js.Msg) {})
	require.NoError(t, err)
	oc, err := j2.OrderedConsumer(ctx, "S", js.OrderedConsumerConfig{})
	require.NoError(t, err)
	ordered, err := oc.Consume(func(*js.Msg) {})
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	nc2.Close()
	for _, cc := range []*js.ConsumeContext{pull, ordered} {
		select {
		case <-cc.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("consume did not end with its connection")
		}
		require.ErrorIs(t, cc.Err(), core.ErrConnectionClosed)
	}
}
