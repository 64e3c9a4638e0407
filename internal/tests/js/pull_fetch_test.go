package js_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

func publishN(t testing.TB, j *js.JetStream, subject string, n int, data []byte) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	for i := 0; i < n; i++ {
		_, err := j.Publish(ctx, subject, data)
		require.NoError(t, err)
	}
}

func pullStatus(t *testing.T, err error) *js.PullStatusError {
	t.Helper()
	var ps *js.PullStatusError
	require.True(t, errors.As(err, &ps), "want a *PullStatusError, got %v", err)
	return ps
}

func TestFetchAndAcks(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "S", "s.>")
	publishN(t, j, "s.a", 6, []byte("hello"))
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit, AckWait: time.Second})
	require.NoError(t, err)

	msgs, err := c.Fetch(ctx, 6, js.PullExpiry(5*time.Second), js.PullHeartbeat(time.Second))
	require.NoError(t, err)
	require.Len(t, msgs, 6)
	for i, m := range msgs {
		assert.Equal(t, "s.a", m.Subject)
		assert.Equal(t, "hello", string(m.Data))
		md, err := m.Metadata()
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), md.StreamSeq)
		assert.Equal(t, uint64(i+1), md.ConsumerSeq)
		assert.Equal(t, uint64(1), md.NumDelivered)
		assert.Equal(t, uint64(5-i), md.NumPending)
		assert.Equal(t, "S", md.Stream)
		assert.Equal(t, "d", md.Consumer)
	}
	require.NoError(t, msgs[0].Ack())
	require.ErrorIs(t, msgs[0].Ack(), js.ErrMsgAlreadyAcked)
	require.ErrorIs(t, msgs[0].InProgress(), js.ErrMsgAlreadyAcked)
	require.NoError(t, msgs[1].DoubleAck(ctx))
	require.ErrorIs(t, msgs[1].Nak(), js.ErrMsgAlreadyAcked)
	require.NoError(t, msgs[2].Term())
	require.NoError(t, msgs[3].TermWithReason("bad input"))
	require.NoError(t, msgs[4].InProgress())
	require.NoError(t, msgs[4].Nak())
	require.NoError(t, msgs[5].NakWithDelay(time.Hour))

	// Only the plain Nak comes back, redelivered.
	m, err := c.Next(ctx, js.PullExpiry(3*time.Second))
	require.NoError(t, err)
	md, err := m.Metadata()
	require.NoError(t, err)
	assert.Equal(t, uint64(5), md.StreamSeq)
	assert.Equal(t, uint64(2), md.NumDelivered)
	require.NoError(t, m.Ack())
	_, err = c.FetchNoWait(ctx, 1)
	require.ErrorIs(t, err, js.ErrNoMessages)
}

// TestPullStatusLines produces the §2.8 status lines with a real server and
// checks each ends the pull with its sentinel.
func TestPullStatusLines(t *testing.T) {
	_, nc, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	create := func(cfg js.ConsumerConfig) *js.Consumer {
		t.Helper()
		if cfg.AckPolicy == "" {
			cfg.AckPolicy = js.AckExplicit
		}
		c, err := j.CreateConsumer(ctx, "S", cfg)
		require.NoError(t, err)
		return c
	}

	t.Run("404 No Messages", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "empty", FilterSubject: "s.none"})
		msgs, err := c.FetchNoWait(ctx, 5)
		assert.Empty(t, msgs)
		ps := pullStatus(t, err)
		assert.Equal(t, 404, ps.Code)
		assert.ErrorIs(t, err, js.ErrNoMessages)
	})
	t.Run("408 Request Timeout", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "expire", FilterSubject: "s.none"})
		start := time.Now()
		_, err := c.Fetch(ctx, 5, js.PullExpiry(300*time.Millisecond))
		ps := pullStatus(t, err)
		assert.Equal(t, 408, ps.Code)
		assert.Equal(t, 5, ps.PendingMsgs)
		assert.ErrorIs(t, err, js.ErrPullExpired)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	publishN(t, j, "s.big", 2, bytes.Repeat([]byte("x"), 200))
	t.Run("409 Message Size Exceeds MaxBytes", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "bytes", FilterSubject: "s.big"})
		_, err := c.Fetch(ctx, 5, js.PullMaxBytes(50), js.PullExpiry(2*time.Second))
		assert.ErrorIs(t, err, js.ErrMaxBytesExceeded)
		assert.Equal(t, 409, pullStatus(t, err).Code)
	})
	t.Run("409 Batch Completed", func(t *testing.T) {
		// The server sends it after a batch that left byte budget; Fetch
		// has its batch by then, so read the status on a raw inbox.
		create(js.ConsumerConfig{Durable: "batch", FilterSubject: "s.big"})
		sub, err := nc.SubscribeSync(nc.NewInbox())
		require.NoError(t, err)
		require.NoError(t, nc.PublishRequest(j.APIPrefix()+".CONSUMER.MSG.NEXT.S.batch", sub.Subject(), []byte(`{"batch":1,"max_bytes":100000,"expires":2000000000}`)))
		m, err := sub.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, "s.big", m.Subject)
		st, err := sub.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, 409, st.Status())
		assert.Equal(t, "Batch Completed", st.Description())
	})
	t.Run("412 Required Api Level", func(t *testing.T) {
		// This client never asks for a level in a pull; the line is read
		// off a raw request and classified by TestPullStatusClassification.
		create(js.ConsumerConfig{Durable: "level"})
		sub, err := nc.SubscribeSync(nc.NewInbox())
		require.NoError(t, err)
		require.NoError(t, nc.PublishMsg(&core.Msg{Subject: j.APIPrefix() + ".CONSUMER.MSG.NEXT.S.level", Reply: sub.Subject(),
			Header: core.Header{"Nats-Required-Api-Level": {"99"}}, Data: []byte(`{"batch":1,"expires":1000000000}`)}))
		st, err := sub.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, 412, st.Status())
		assert.Equal(t, "Required Api Level", st.Description())
	})
	t.Run("409 Exceeded MaxRequestBatch", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "maxbatch", MaxRequestBatch: 2})
		_, err := c.Fetch(ctx, 5, js.PullExpiry(time.Second))
		assert.ErrorIs(t, err, js.ErrPullLimitExceeded)
		assert.Contains(t, pullStatus(t, err).Description, "Exceeded MaxRequestBatch")
	})
	t.Run("409 Exceeded MaxRequestExpires", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "maxexp", MaxRequestExpires: time.Second, FilterSubject: "s.none"})
		_, err := c.Fetch(ctx, 1, js.PullExpiry(3*time.Second))
		assert.ErrorIs(t, err, js.ErrPullLimitExceeded)
		assert.Contains(t, pullStatus(t, err).Description, "Exceeded MaxRequestExpires")
	})
	t.Run("409 Exceeded MaxRequestMaxBytes", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "maxbytes", MaxRequestMaxBytes: 100})
		_, err := c.Fetch(ctx, 1, js.PullMaxBytes(1000), js.PullExpiry(time.Second))
		assert.ErrorIs(t, err, js.ErrPullLimitExceeded)
		assert.Contains(t, pullStatus(t, err).Description, "Exceeded MaxRequestMaxBytes")
	})
	t.Run("409 Exceeded MaxWaiting", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "maxwait", MaxWaiting: 1, FilterSubject: "s.none"})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Fetch(ctx, 1, js.PullExpiry(2*time.Second))
		}()
		var err error
		for i := 0; i < 50; i++ {
			time.Sleep(50 * time.Millisecond)
			if _, err = c.Fetch(ctx, 1, js.PullExpiry(200*time.Millisecond)); errors.Is(err, js.ErrPullLimitExceeded) {
				break
			}
		}
		wg.Wait()
		assert.ErrorIs(t, err, js.ErrPullLimitExceeded)
		assert.Contains(t, pullStatus(t, err).Description, "Exceeded MaxWaiting")
	})
	t.Run("409 Consumer Deleted", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "gone", FilterSubject: "s.none"})
		go func() {
			time.Sleep(300 * time.Millisecond)
			_ = j.DeleteConsumer(ctx, "S", "gone")
		}()
		_, err := c.Fetch(ctx, 1, js.PullExpiry(10*time.Second))
		assert.ErrorIs(t, err, js.ErrConsumerDeleted)
		assert.Equal(t, 409, pullStatus(t, err).Code)
	})
	t.Run("409 Consumer is push based", func(t *testing.T) {
		c := create(js.ConsumerConfig{Durable: "push", DeliverSubject: "deliver.here"})
		_, err := c.Fetch(ctx, 1, js.PullExpiry(time.Second))
		assert.ErrorIs(t, err, js.ErrConsumerPushBased)
	})
	t.Run("400 Bad Request", func(t *testing.T) {
		// A consumer with priority groups refuses a pull without one.
		c := create(js.ConsumerConfig{Durable: "groups", PriorityGroups: []string{"g"}, PriorityPolicy: js.PriorityOverflow})
		_, err := c.Fetch(ctx, 1, js.PullExpiry(time.Second))
		assert.ErrorIs(t, err, js.ErrBadPullRequest)
		assert.Equal(t, 400, pullStatus(t, err).Code)
	})
	t.Run("423 Nats-Pin-Id mismatch", func(t *testing.T) {
		publishN(t, j, "s.pin", 3, []byte("p"))
		c := create(js.ConsumerConfig{Durable: "pinned", FilterSubject: "s.pin", PriorityGroups: []string{"g"},
			PriorityPolicy: js.PriorityPinnedClient, PinnedTTL: time.Minute})
		m, err := c.Next(ctx, js.PullPriorityGroup("g"), js.PullExpiry(2*time.Second))
		require.NoError(t, err)
		require.NoError(t, m.Ack())
		// Unpinned, the old pin id no longer holds: 423, and the client
		// drops it so the next pull gets a new pin.
		require.NoError(t, j.UnpinConsumer(ctx, "S", "pinned", "g"))
		_, err = c.Next(ctx, js.PullPriorityGroup("g"), js.PullExpiry(2*time.Second))
		require.ErrorIs(t, err, js.ErrPinIDMismatch)
		assert.Equal(t, 423, pullStatus(t, err).Code)
		m, err = c.Next(ctx, js.PullPriorityGroup("g"), js.PullExpiry(2*time.Second))
		require.NoError(t, err)
		require.NoError(t, m.Ack())
	})
}

// TestFetchServerShutdown: a pull waiting when its server shuts down ends
// with 409 Server Shutdown (or, if the connection went first, the
// caller's deadline); it never hangs.
func TestFetchServerShutdown(t *testing.T) {
	s, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	addStream(t, j, "S", "s.>")
	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	go func() {
		time.Sleep(300 * time.Millisecond)
		s.Shutdown()
	}()
	start := time.Now()
	_, err = c.Fetch(testCtx(t, 5*time.Second), 1, js.PullExpiry(30*time.Second))
	require.Error(t, err)
	t.Logf("fetch ended after %v: %v", time.Since(start).Round(time.Millisecond), err)
	assert.ErrorIs(t, err, js.ErrServerShutdown)
}
