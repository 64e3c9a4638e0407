package js_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

func TestPublishAck(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	addStream(t, j, "P", "p.>")
	ack, err := j.Publish(ctx, "p.1", []byte("one"))
	require.NoError(t, err)
	assert.Equal(t, js.PubAck{Stream: "P", Sequence: 1}, *ack)

	ack, err = j.PublishMsg(ctx, &core.Msg{Subject: "p.2", Header: core.Header{"X-A": {"b"}}, Data: []byte("two")}, js.MsgID("id-2"))
	require.NoError(t, err)
	assert.Equal(t, js.PubAck{Stream: "P", Sequence: 2}, *ack)
	ack, err = j.Publish(ctx, "p.2", []byte("two"), js.MsgID("id-2"))
	require.NoError(t, err)
	assert.Equal(t, js.PubAck{Stream: "P", Sequence: 2, Duplicate: true}, *ack)
	m, err := j.GetMsg(ctx, "P", 2)
	require.NoError(t, err)
	assert.Equal(t, "b", m.Header.Get("X-A"))
	assert.Equal(t, "id-2", m.Header.Get(js.HeaderMsgID))

	ack, err = j.Publish(ctx, "p.3", nil, js.AutoMsgID())
	require.NoError(t, err)
	m, err = j.GetMsg(ctx, "P", ack.Sequence)
	require.NoError(t, err)
	assert.Len(t, m.Header.Get(js.HeaderMsgID), 22, "a nuid")
}

// Each expectation, checked by a real server, fails with its sentinel.
func TestPublishExpectations(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	addStream(t, j, "E", "e.>")
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "TTL", Subjects: []string{"ttl.>"}, AllowMsgTTL: true})
	require.NoError(t, err)
	_, err = j.Publish(ctx, "e.a", nil, js.MsgID("first"))
	require.NoError(t, err)

	cases := []struct {
		name string
		subj string
		opts []js.PubOption
		want error
		code uint16
	}{
		{"stream", "e.a", []js.PubOption{js.ExpectStream("OTHER")}, js.ErrStreamMismatch, 10060},
		{"last seq", "e.a", []js.PubOption{js.ExpectLastSequence(5)}, js.ErrWrongLastSequence, 10071},
		{"last subject seq", "e.a", []js.PubOption{js.ExpectLastSubjectSequence(0)}, js.ErrWrongLastSequence, 10071},
		{"last subject seq for", "e.b", []js.PubOption{js.ExpectLastSubjectSequenceFor("e.a", 7)}, js.ErrWrongLastSequence, 10071},
		{"last msg id", "e.a", []js.PubOption{js.ExpectLastMsgID("nope")}, js.ErrWrongLastMsgID, 10070},
		{"ttl disabled", "e.a", []js.PubOption{js.TTL(time.Minute)}, js.ErrTTLDisabled, 10166},
		{"bad ttl", "ttl.a", []js.PubOption{js.WithHeader(js.HeaderTTL, "soon")}, js.ErrInvalidTTL, 10165},
		{"subject without seq", "e.a", []js.PubOption{js.WithHeader(js.HeaderExpectedLastSubjSeqSubject, "e.a")}, js.ErrMissingSubjectSequence, 10193},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Publish(ctx, tc.subj, nil, tc.opts...)
			require.ErrorIs(t, err, tc.want)
			var ae *js.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.code, ae.ErrCode)
		})
	}
	// The right expectations pass.
	ack, err := j.Publish(ctx, "e.a", nil, js.ExpectStream("E"), js.ExpectLastSequence(1), js.ExpectLastSubjectSequence(1), js.ExpectLastMsgID("first"))
	require.NoError(t, err)
	assert.EqualValues(t, 2, ack.Sequence)
	ack, err = j.Publish(ctx, "e.c", nil, js.ExpectLastSubjectSequenceFor("e.a", 2))
	require.NoError(t, err)
	assert.EqualValues(t, 3, ack.Sequence)
	ack, err = j.Publish(ctx, "ttl.a", nil, js.TTL(time.Hour))
	require.NoError(t, err)
	m, err := j.GetMsg(ctx, "TTL", ack.Sequence)
	require.NoError(t, err)
	assert.Equal(t, "1h0m0s", m.Header.Get(js.HeaderTTL))
	_, err = j.Publish(ctx, "ttl.a", nil, js.TTL(time.Millisecond))
	require.ErrorIs(t, err, js.ErrInvalidOption)
}

// No stream on the subject: 503, retried per ADR-22, then
// ErrNoStreamResponse, not a timeout.
func TestPublishNoStream(t *testing.T) {
	_, _, j := newJS(t, js.WithPublishRetry(2, 50*time.Millisecond))
	start := time.Now()
	_, err := j.Publish(testCtx(t, 10*time.Second), "nobody.listens", nil)
	require.ErrorIs(t, err, js.ErrNoStreamResponse)
	assert.NotErrorIs(t, err, js.ErrAckTimeout)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "two retries waited")
}

// A stream that appears during the 503 retries gets the message.
func TestPublishRetriesUntilStreamAppears(t *testing.T) {
	_, _, j := newJS(t, js.WithPublishRetry(20, 50*time.Millisecond))
	ctx := testCtx(t, 10*time.Second)
	done := make(chan error, 1)
	go func() {
		time.Sleep(150 * time.Millisecond)
		_, err := j.CreateStream(ctx, js.StreamConfig{Name: "LATE", Subjects: []string{"late"}})
		done <- err
	}()
	ack, err := j.Publish(ctx, "late", []byte("x"))
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Equal(t, "LATE", ack.Stream)
}

// The ack path goes dark after the server stored the message: the first
// attempt times out, the republishes with the same MsgID are answered once
// the link heals, and the stream holds exactly one copy.
func TestPublishAmbiguousTimeoutRepublishes(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream())
	direct := connect(t, s.ClientURL())
	proxy := harness.NewProxy(t, s.Addr())
	nc := connect(t, proxy.URL())
	j, err := js.New(nc)
	require.NoError(t, err)
	jd, err := js.New(direct)
	require.NoError(t, err)
	ctx := testCtx(t, 30*time.Second)
	addStream(t, jd, "AMB", "amb")

	// The server's ack crosses the proxy after 300 ms; the client gives
	// each attempt 150 ms.
	seen, err := direct.SubscribeSync("amb")
	require.NoError(t, err)
	proxy.Delay(300 * time.Millisecond)
	type result struct {
		ack *js.PubAck
		err error
	}
	res := make(chan result, 1)
	go func() {
		ack, err := j.Publish(ctx, "amb", []byte("once"), js.MsgID("order-1"), js.AckWait(150*time.Millisecond))
		res <- result{ack, err}
	}()
	// Stored: now lose every byte either way until the attempts pile up.
	_, err = seen.Next(ctx)
	require.NoError(t, err)
	proxy.Blackhole()
	time.Sleep(600 * time.Millisecond)
	proxy.Heal()

	r := <-res
	require.NoError(t, r.err)
	assert.True(t, r.ack.Duplicate, "the answer is for a republish: the first attempt was stored")
	assert.EqualValues(t, 1, r.ack.Sequence)
	si, err := jd.StreamInfo(ctx, "AMB")
	require.NoError(t, err)
	assert.EqualValues(t, 1, si.State.Msgs, "exactly one copy stored")
	// The subject saw the first attempt and at least one republish.
	copies := 1
	for {
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		m, err := seen.Next(short)
		cancel()
		if err != nil {
			break
		}
		assert.Equal(t, "order-1", m.Header.Get(js.HeaderMsgID))
		copies++
	}
	assert.GreaterOrEqual(t, copies, 2)
}

// Without a MsgID the same timeout is reported, not guessed.
func TestPublishTimeoutWithoutMsgID(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream())
	proxy := harness.NewProxy(t, s.Addr())
	nc := connect(t, proxy.URL())
	j, err := js.New(nc)
	require.NoError(t, err)
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "T", "t")
	proxy.Blackhole()
	_, err = j.Publish(ctx, "t", nil, js.AckWait(100*time.Millisecond))
	require.ErrorIs(t, err, js.ErrAckTimeout)
	proxy.Heal()

	// The caller's context bounds the republishes of a MsgID publish.
	proxy.Blackhole()
	short, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	defer cancel()
	_, err = j.Publish(short, "t", nil, js.MsgID("x"), js.AckWait(100*time.Millisecond))
	require.ErrorIs(t, err, js.ErrAckTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	proxy.Heal()
}

// A publish whose context has already ended sends nothing and says so with
// the context's error, not an ambiguous ack timeout.
func TestPublishWithEndedContextStoresNothing(t *testing.T) {
	_, _, j := newJS(t)
	addStream(t, j, "ENDED", "ended.>")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := j.Publish(ctx, "ended.a", []byte("x"), js.MsgID("m1"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, js.ErrAckTimeout, "nothing was sent, so nothing is unknown")
	_, err = j.PublishAsync(ctx, "ended.a", []byte("x"))
	assert.ErrorIs(t, err, context.Canceled)

	live := testCtx(t, 10*time.Second)
	ack, err := j.Publish(live, "ended.a", []byte("y"))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), ack.Sequence, "neither ended publish was stored")
}
