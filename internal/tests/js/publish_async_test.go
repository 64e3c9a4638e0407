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

func TestPublishAsyncAcks(t *testing.T) {
	_, _, j := newJS(t, js.WithPublishAsyncMaxPending(64))
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "A", "a.>")
	const n = 5000
	futs := make([]*js.PubAckFuture, n)
	for i := range futs {
		f, err := j.PublishAsync(ctx, "a."+strconv.Itoa(i%3), []byte(strconv.Itoa(i)))
		require.NoError(t, err)
		require.LessOrEqual(t, j.PublishAsyncPending(), 64)
		futs[i] = f
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
	assert.Zero(t, j.PublishAsyncPending())
	seqs := map[uint64]bool{}
	for _, f := range futs {
		ack, err := f.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "A", ack.Stream)
		seqs[ack.Sequence] = true
		select {
		case <-f.Done():
		default:
			t.Fatal("Done not closed after the outcome")
		}
	}
	assert.Len(t, seqs, n)
	// The future's sequence is the one that stored its data.
	m, err := j.GetMsg(ctx, "A", 1234)
	require.NoError(t, err)
	i, _ := strconv.Atoi(string(m.Data))
	ack, _ := futs[i].Wait(ctx)
	assert.EqualValues(t, 1234, ack.Sequence)
}

func TestPublishAsyncOptionsAndErrors(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	addStream(t, j, "O", "o")
	f, err := j.PublishAsync(ctx, "o", nil, js.MsgID("m1"))
	require.NoError(t, err)
	_, err = f.Wait(ctx)
	require.NoError(t, err)
	f, err = j.PublishAsync(ctx, "o", nil, js.MsgID("m1"))
	require.NoError(t, err)
	ack, err := f.Wait(ctx)
	require.NoError(t, err)
	assert.True(t, ack.Duplicate)
	f, err = j.PublishAsync(ctx, "o", nil, js.ExpectLastSequence(9))
	require.NoError(t, err)
	_, err = f.Wait(ctx)
	require.ErrorIs(t, err, js.ErrWrongLastSequence)
	f, err = j.PublishAsync(ctx, "nobody", nil)
	require.NoError(t, err)
	_, err = f.Wait(ctx)
	require.ErrorIs(t, err, js.ErrNoStreamResponse)
	require.NoError(t, j.PublishAsyncComplete(ctx))
	assert.Zero(t, j.PublishAsyncPending())
	_, err = j.PublishAsync(ctx, "o", nil, js.TTL(0))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	_, err = j.PublishAsync(ctx, "o", nil, js.AckWait(time.Second))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	assert.Zero(t, j.PublishAsyncPending())
}

// asyncOverProxy returns a JetStream context that publishes through a
// proxy, and one on a direct connection for checks.
func asyncOverProxy(t *testing.T, opts ...js.Option) (*harness.Proxy, *js.JetStream, *js.JetStream) {
	s := harness.RunServer(t, harness.WithJetStream())
	proxy := harness.NewProxy(t, s.Addr())
	j, err := js.New(connect(t, proxy.URL()), opts...)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	jd, err := js.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	addStream(t, jd, "W", "w")
	// Start the publisher's reply subscription while the link is up.
	f, err := j.PublishAsync(testCtx(t, 5*time.Second), "w", []byte("warm"))
	require.NoError(t, err)
	_, err = f.Wait(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	return proxy, j, jd
}

// A full window blocks until ctx ends, or fails at once with NoWait.
func TestPublishAsyncWindowFull(t *testing.T) {
	proxy, j, _ := asyncOverProxy(t, js.WithPublishAsyncMaxPending(2), js.WithPublishAsyncTimeout(time.Minute))
	proxy.Blackhole()
	ctx := testCtx(t, 10*time.Second)
	for i := 0; i < 2; i++ {
		_, err := j.PublishAsync(ctx, "w", nil)
		require.NoError(t, err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := j.PublishAsync(short, "w", nil)
	require.ErrorIs(t, err, js.ErrAsyncPublishFull)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 2, j.PublishAsyncPending())

	// A waiter gets the room an ack makes.
	got := make(chan error, 1)
	go func() {
		f, err := j.PublishAsync(ctx, "w", nil)
		if err == nil {
			_, err = f.Wait(ctx)
		}
		got <- err
	}()
	proxy.Heal()
	require.NoError(t, <-got)
	require.NoError(t, j.PublishAsyncComplete(ctx))

	s2 := harness.RunServer(t, harness.WithJetStream())
	nc := connect(t, s2.ClientURL())
	jn, err := js.New(nc, js.WithPublishAsyncMaxPending(1), js.WithPublishAsyncNoWait())
	require.NoError(t, err)
	t.Cleanup(jn.Close)
	// A core subscriber takes the message and never replies: the one
	// slot stays held.
	_, err = nc.SubscribeSync("silent")
	require.NoError(t, err)
	_, err = jn.PublishAsync(ctx, "silent", nil)
	require.NoError(t, err)
	_, err = jn.PublishAsync(ctx, "silent", nil)
	require.ErrorIs(t, err, js.ErrAsyncPublishFull)
}

// Acks that never come time out; the pending count returns to 0, and a
// late ack cannot settle the future that reused the slot.
func TestPublishAsyncAckTimeout(t *testing.T) {
	proxy, j, jd := asyncOverProxy(t, js.WithPublishAsyncMaxPending(4), js.WithPublishAsyncTimeout(300*time.Millisecond))
	ctx := testCtx(t, 20*time.Second)
	proxy.Blackhole()
	var futs []*js.PubAckFuture
	for i := 0; i < 4; i++ {
		f, err := j.PublishAsync(ctx, "w", []byte("lost"))
		require.NoError(t, err)
		futs = append(futs, f)
	}
	for _, f := range futs {
		_, err := f.Wait(ctx)
		require.ErrorIs(t, err, js.ErrAckTimeout)
	}
	assert.Zero(t, j.PublishAsyncPending())

	// Heal: the held publishes are stored and their acks come late, to
	// slots now used by new publishes.
	proxy.Heal()
	var fresh []*js.PubAckFuture
	for i := 0; i < 4; i++ {
		f, err := j.PublishAsync(ctx, "w", []byte("fresh"+strconv.Itoa(i)))
		require.NoError(t, err)
		fresh = append(fresh, f)
	}
	for i, f := range fresh {
		ack, err := f.Wait(ctx)
		require.NoError(t, err)
		m, err := jd.GetMsg(ctx, "W", ack.Sequence)
		require.NoError(t, err)
		assert.Equal(t, "fresh"+strconv.Itoa(i), string(m.Data), "ack belongs to its own message")
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
}

// Close, a lost connection and ResetPublishAsync fail every pending
// future with a typed error.
func TestPublishAsyncFailsPendingOnCloseAndReset(t *testing.T) {
	proxy, j, _ := asyncOverProxy(t, js.WithPublishAsyncTimeout(time.Minute))
	ctx := testCtx(t, 10*time.Second)
	proxy.Blackhole()
	pend := func(n int) []*js.PubAckFuture {
		var fs []*js.PubAckFuture
		for i := 0; i < n; i++ {
			f, err := j.PublishAsync(ctx, "w", nil)
			require.NoError(t, err)
			fs = append(fs, f)
		}
		return fs
	}
	for _, f := range pend(10) {
		j.ResetPublishAsync()
		_, err := f.Wait(ctx)
		require.ErrorIs(t, err, js.ErrConnectionReset)
	}
	assert.Zero(t, j.PublishAsyncPending())
	fs := pend(10)
	j.Close()
	for _, f := range fs {
		_, err := f.Wait(ctx)
		require.ErrorIs(t, err, js.ErrPublisherClosed)
	}
	assert.Zero(t, j.PublishAsyncPending())
	_, err := j.PublishAsync(ctx, "w", nil)
	require.ErrorIs(t, err, js.ErrPublisherClosed)
	proxy.Heal()
}

func TestPublishAsyncFailsPendingOnConnClose(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream())
	nc := connect(t, s.ClientURL())
	j, err := js.New(nc, js.WithPublishAsyncTimeout(time.Minute))
	require.NoError(t, err)
	ctx := testCtx(t, 10*time.Second)
	_, err = nc.SubscribeSync("silent")
	require.NoError(t, err)
	var fs []*js.PubAckFuture
	for i := 0; i < 10; i++ {
		f, err := j.PublishAsync(ctx, "silent", nil)
		require.NoError(t, err)
		fs = append(fs, f)
	}
	nc.Close()
	for _, f := range fs {
		_, err := f.Wait(ctx)
		require.ErrorIs(t, err, js.ErrPublisherClosed)
	}
	assert.Zero(t, j.PublishAsyncPending())
	j.Close()
}

// Many publishers at once never push the window past its size (nats.go
// #1612), and all of them finish.
func TestPublishAsyncWindowUnderConcurrency(t *testing.T) {
	_, _, j := newJS(t, js.WithPublishAsyncMaxPending(8))
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "CC", "cc")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	var over sync.Once
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p := j.PublishAsyncPending(); p > 8 {
				over.Do(func() { errs <- fmt.Errorf("pending %d > 8", p) })
			}
		}
	}()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if _, err := j.PublishAsync(ctx, "cc", nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, j.PublishAsyncComplete(ctx))
	close(stop)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	si, err := j.StreamInfo(ctx, "CC")
	require.NoError(t, err)
	assert.EqualValues(t, 16*300, si.State.Msgs)
}

// The link is cut while async publishes flow: the disconnect fails the
// stranded futures at once, the publisher goes on after the reconnect,
// and every acknowledged message is stored.
func TestPublishAsyncLinkCutWhileFlowing(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream())
	proxy := harness.NewProxy(t, s.Addr())
	nc := connect(t, proxy.URL(), core.WithMaxReconnects(-1), core.WithReconnectWait(20*time.Millisecond, 100*time.Millisecond))
	j, err := js.New(nc, js.WithPublishAsyncMaxPending(128), js.WithPublishAsyncTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(j.Close)
	jd, err := js.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, jd, "CUT", "cut")

	var futs []*js.PubAckFuture
	for i := 0; i < 3000; i++ {
		if i == 1000 {
			proxy.Cut()
			go func() {
				time.Sleep(200 * time.Millisecond)
				proxy.Heal()
			}()
		}
		f, err := j.PublishAsync(ctx, "cut", []byte(strconv.Itoa(i)))
		if err != nil {
			require.ErrorIs(t, err, core.ErrReconnectBufferExceeded)
			continue
		}
		futs = append(futs, f)
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
	assert.Zero(t, j.PublishAsyncPending())
	acked, reset := 0, 0
	for _, f := range futs {
		ack, err, done := f.Result()
		require.True(t, done)
		if err != nil {
			require.ErrorIs(t, err, js.ErrConnectionReset)
			reset++
			continue
		}
		acked++
		_, err = jd.GetMsg(ctx, "CUT", ack.Sequence)
		require.NoError(t, err)
	}
	t.Logf("%d acked, %d reset", acked, reset)
	assert.Positive(t, acked)
}
