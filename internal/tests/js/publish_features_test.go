package js_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

func TestCounters(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "CNT", Subjects: []string{"cnt.>"}, AllowMsgCounter: true, AllowDirect: true})
	require.NoError(t, err)
	v, err := j.Increment(ctx, "cnt.a", big.NewInt(5))
	require.NoError(t, err)
	assert.Equal(t, "5", v.String())
	ack, err := j.Publish(ctx, "cnt.a", nil, js.Incr(big.NewInt(-2)))
	require.NoError(t, err)
	assert.Equal(t, "3", ack.Value)
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	v, err = j.Increment(ctx, "cnt.a", huge)
	require.NoError(t, err)
	assert.Equal(t, "123456789012345678901234567893", v.String())
	v, err = j.Counter(ctx, "CNT", "cnt.a")
	require.NoError(t, err)
	assert.Equal(t, "123456789012345678901234567893", v.String())
	_, err = j.Counter(ctx, "CNT", "cnt.never")
	require.ErrorIs(t, err, js.ErrMsgNotFound)

	// Async increments too.
	f, err := j.PublishAsync(ctx, "cnt.b", nil, js.Incr(big.NewInt(1)))
	require.NoError(t, err)
	ack, err = f.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1", ack.Value)

	addStream(t, j, "PLAIN", "plain")
	_, err = j.Increment(ctx, "plain", big.NewInt(1))
	require.ErrorIs(t, err, js.ErrCounterDisabled)
}

// All or nothing: a batch whose middle message fails its expectation
// stores none of its messages; a good batch stores all at once.
func TestAtomicBatch(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "AB", Subjects: []string{"ab.>"}, AllowAtomicPublish: true})
	require.NoError(t, err)

	b, err := j.NewAtomicBatch(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Add(&core.Msg{Subject: "ab.1", Data: []byte("one")}))
	require.NoError(t, b.Add(&core.Msg{Subject: "ab.2", Data: []byte("two")}, js.ExpectLastSubjectSequence(42)))
	_, err = b.Commit(ctx, &core.Msg{Subject: "ab.3", Data: []byte("three")})
	require.ErrorIs(t, err, js.ErrWrongLastSequence)
	si, err := j.StreamInfo(ctx, "AB")
	require.NoError(t, err)
	assert.Zero(t, si.State.Msgs, "nothing of the failed batch is stored")

	b, err = j.NewAtomicBatch(ctx)
	require.NoError(t, err)
	for _, s := range []string{"ab.1", "ab.2", "ab.3"} {
		require.NoError(t, b.Add(&core.Msg{Subject: s, Header: core.Header{"X-S": {s}}, Data: []byte(s)}))
	}
	ack, err := b.Commit(ctx, &core.Msg{Subject: "ab.4", Data: []byte("ab.4")})
	require.NoError(t, err)
	assert.Equal(t, b.ID(), ack.BatchID)
	assert.Equal(t, 4, ack.BatchSize)
	assert.EqualValues(t, 4, ack.Sequence)
	m, err := j.GetMsg(ctx, "AB", 2)
	require.NoError(t, err)
	assert.Equal(t, "ab.2", m.Header.Get("X-S"))
	_, err = b.Commit(ctx, &core.Msg{Subject: "ab.5"})
	require.ErrorIs(t, err, js.ErrInvalidOption)

	addStream(t, j, "NOAT", "noat")
	b, err = j.NewAtomicBatch(ctx)
	require.NoError(t, err)
	_, err = b.Commit(ctx, &core.Msg{Subject: "noat"})
	require.ErrorIs(t, err, js.ErrAtomicDisabled)
}

func TestScheduledMessage(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 20*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "SC", Subjects: []string{"sc.>"}, AllowMsgSchedules: true})
	require.NoError(t, err)
	at := time.Now().Add(1500 * time.Millisecond)
	ack, err := j.Publish(ctx, "sc.schedule.1", []byte("later"), js.ScheduleAt(at, "sc.fired"))
	require.NoError(t, err)
	m, err := j.GetMsg(ctx, "SC", ack.Sequence)
	require.NoError(t, err)
	assert.Equal(t, "sc.fired", m.Header.Get(js.HeaderScheduleTarget))
	for {
		m, err := j.GetLastMsg(ctx, "SC", "sc.fired")
		if err == nil {
			assert.Equal(t, "later", string(m.Data))
			assert.False(t, m.Time.Before(at.Truncate(time.Second)), "fired at its time, not before")
			break
		}
		require.ErrorIs(t, err, js.ErrMsgNotFound)
		select {
		case <-ctx.Done():
			t.Fatal("the schedule never fired")
		case <-time.After(100 * time.Millisecond):
		}
	}

	addStream(t, j, "NOSC", "nosc.>")
	_, err = j.Publish(ctx, "nosc.s", nil, js.ScheduleEvery(time.Minute, "nosc.t"))
	require.ErrorIs(t, err, js.ErrSchedulesDisabled)
	_, err = j.Publish(ctx, "nosc.s", nil, js.ScheduleEvery(time.Millisecond, "nosc.t"))
	require.ErrorIs(t, err, js.ErrInvalidOption)
}

// A server older than a feature refuses it before anything is sent: a
// responder on a server without JetStream plays an API level 1 server,
// and nothing else answers (a request that got out would be a 503).
func TestFeatureGatedOnAPILevel(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	ctx := testCtx(t, 10*time.Second)
	_, err := nc.Subscribe("$JS.API.INFO", func(m *core.Msg) {
		_ = m.Respond([]byte(`{"type":"io.nats.jetstream.api.v1.account_info_response","api":{"level":1}}`))
	})
	require.NoError(t, err)
	old, err := js.New(nc)
	require.NoError(t, err)
	_, err = old.Publish(ctx, "x", nil, js.Incr(big.NewInt(1)))
	var le *js.LevelError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 2, le.Required)
	assert.Equal(t, 1, le.Server)
	require.ErrorIs(t, err, js.ErrAPILevelTooLow)
	_, err = old.PublishAsync(ctx, "x", nil, js.Schedule("@every 1s", "y"))
	require.ErrorIs(t, err, js.ErrAPILevelTooLow)
	_, err = old.NewAtomicBatch(ctx)
	require.ErrorIs(t, err, js.ErrAPILevelTooLow)
	_, err = old.CreateStream(ctx, js.StreamConfig{Name: "S", AllowMsgSchedules: true})
	require.ErrorIs(t, err, js.ErrAPILevelTooLow)
	_, err = old.CreateStream(ctx, js.StreamConfig{Name: "B", AllowBatchPublish: true})
	require.ErrorIs(t, err, js.ErrAPILevelTooLow)
	// Level 1 has TTLs: that stream create gets out (and meets no JetStream).
	_, err = old.CreateStream(ctx, js.StreamConfig{Name: "T", AllowMsgTTL: true})
	require.ErrorIs(t, err, js.ErrNoStreamResponse)
	old.Close()
}
