package core_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// scatter starts n responders on subject; responder i waits delays[i]
// (when given) and answers "i".
func scatter(t *testing.T, nc *core.Conn, subject string, n int, delays ...time.Duration) {
	t.Helper()
	for i := 0; i < n; i++ {
		var d time.Duration
		if i < len(delays) {
			d = delays[i]
		}
		_, err := nc.Subscribe(subject, func(m *core.Msg) {
			time.Sleep(d)
			_ = m.Respond([]byte(strconv.Itoa(i)))
		})
		require.NoError(t, err)
	}
	flush(t, nc)
}

// gather runs the loop to its end and returns the replies' data and the
// errors yielded.
func gather(seq func(func(*core.Msg, error) bool)) (data []string, errs []error) {
	for m, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data = append(data, string(m.Data))
	}
	return data, errs
}

func TestRequestManyMaxMessages(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	scatter(t, srv, "many.max", 5)

	start := time.Now()
	data, errs := gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.max", nil, core.MaxMessages(3)))
	assert.Empty(t, errs)
	assert.Len(t, data, 3)
	assert.Less(t, time.Since(start), 3*time.Second, "MaxMessages ends the loop without waiting for the timeout")
	assert.Equal(t, 0, nc.Stats().PendingRequests)

	// Without a limit, the total timeout (ctx) ends it normally, with all.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	data, errs = gather(nc.RequestMany(ctx, "many.max", nil))
	assert.Empty(t, errs, "the total timeout is a normal end")
	assert.ElementsMatch(t, []string{"0", "1", "2", "3", "4"}, data)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestManyRequestTimeoutDefault(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL(), core.WithRequestTimeout(200*time.Millisecond))
	scatter(t, srv, "many.deflt", 2)
	start := time.Now()
	data, errs := gather(nc.RequestMany(context.Background(), "many.deflt", nil))
	took := time.Since(start)
	assert.Empty(t, errs)
	assert.Len(t, data, 2)
	assert.GreaterOrEqual(t, took, 200*time.Millisecond)
	assert.Less(t, took, 3*time.Second)
}

func TestRequestManyStallTimeout(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	// Two quick responders and a straggler that answers only once the loop
	// is over.
	scatter(t, srv, "many.stall", 2, 0, 20*time.Millisecond)
	release := make(chan struct{})
	_, err := srv.Subscribe("many.stall", func(m *core.Msg) {
		<-release
		_ = m.Respond([]byte("late"))
	})
	require.NoError(t, err)
	flush(t, srv)

	start := time.Now()
	data, errs := gather(nc.RequestMany(testCtx(t, 10*time.Second), "many.stall", nil, core.StallTimeout(200*time.Millisecond)))
	took := time.Since(start)
	close(release)
	assert.Empty(t, errs, "a stall is a normal end")
	assert.ElementsMatch(t, []string{"0", "1"}, data)
	assert.GreaterOrEqual(t, took, 200*time.Millisecond)
	assert.Less(t, took, 3*time.Second, "the stall timer ended it, not the total timeout")

	// The first reply may take longer than the stall timeout.
	scatter(t, srv, "many.slowfirst", 1, 300*time.Millisecond)
	data, errs = gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.slowfirst", nil, core.StallTimeout(100*time.Millisecond)))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"0"}, data)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestManySentinel(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	// A streaming responder: three chunks, then the empty sentinel, then
	// something that must not be seen.
	_, err := srv.Subscribe("many.stream", func(m *core.Msg) {
		for _, c := range []string{"a", "b", "c", "", "after"} {
			_ = m.Respond([]byte(c))
		}
	})
	require.NoError(t, err)
	flush(t, srv)

	start := time.Now()
	data, errs := gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.stream", nil, core.EmptySentinel()))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"a", "b", "c"}, data, "in order, sentinel not yielded")
	assert.Less(t, time.Since(start), 3*time.Second)

	data, errs = gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.stream", nil,
		core.Sentinel(func(m *core.Msg) bool { return string(m.Data) == "b" })))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"a"}, data)

	// A reply with headers but no data is not the empty sentinel.
	_, err = srv.Subscribe("many.hdr", func(m *core.Msg) {
		_ = m.RespondMsg(&core.Msg{Header: core.Header{"K": {"v"}}})
		_ = m.Respond(nil)
	})
	require.NoError(t, err)
	flush(t, srv)
	var got []*core.Msg
	for m, err := range nc.RequestMany(testCtx(t, 5*time.Second), "many.hdr", nil, core.EmptySentinel()) {
		require.NoError(t, err)
		got = append(got, m)
	}
	require.Len(t, got, 1)
	assert.Equal(t, "v", got[0].Header.Get("K"))
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestManyNoResponders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	start := time.Now()
	data, errs := gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.nobody", nil))
	assert.Empty(t, data)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], core.ErrNoResponders)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestManyBreakEarly(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	scatter(t, srv, "many.break", 5)
	start := time.Now()
	n := 0
	for m, err := range nc.RequestMany(testCtx(t, 5*time.Second), "many.break", nil) {
		require.NoError(t, err)
		require.NotNil(t, m)
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, 0, nc.Stats().PendingRequests, "breaking out ends the request")
	// The rest of the replies arrive for nobody, harmlessly.
	flush(t, srv)
	flush(t, nc)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestManyCancelAndClose(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	_, err := nc.SubscribeSync("many.silent")
	require.NoError(t, err)
	flush(t, nc)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	data, errs := gather(nc.RequestMany(ctx, "many.silent", nil))
	assert.Empty(t, data)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)

	// Bad input is yielded as an error.
	_, errs = gather(nc.RequestMany(testCtx(t, time.Second), "bad subject", nil))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], core.ErrBadSubject)
	_, errs = gather(nc.RequestManyMsg(testCtx(t, time.Second), &core.Msg{Subject: "many.silent", Header: core.Header{"K": {"a\nb"}}}))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], core.ErrBadHeader)
	assert.Equal(t, 0, nc.Stats().PendingRequests)

	// Close while the loop waits.
	time.AfterFunc(50*time.Millisecond, nc.Close)
	data, errs = gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.silent", nil))
	assert.Empty(t, data)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], core.ErrConnectionClosed)
	_, errs = gather(nc.RequestMany(testCtx(t, 5*time.Second), "many.silent", nil))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], core.ErrConnectionClosed)
}

func TestRequestManyMsgHeaders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	for i := 0; i < 2; i++ {
		_, err := srv.Subscribe("many.hdrs", func(m *core.Msg) {
			_ = m.RespondMsg(&core.Msg{Header: core.Header{"Who": {strconv.Itoa(i)}, "Asked": {m.Header.Get("Q")}}})
		})
		require.NoError(t, err)
	}
	flush(t, srv)
	var who []string
	for m, err := range nc.RequestManyMsg(testCtx(t, 5*time.Second), &core.Msg{Subject: "many.hdrs", Header: core.Header{"Q": {"?"}}}, core.MaxMessages(2)) {
		require.NoError(t, err)
		assert.Equal(t, "?", m.Header.Get("Asked"))
		who = append(who, m.Header.Get("Who"))
	}
	assert.ElementsMatch(t, []string{"0", "1"}, who)
}
