package core_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// echoService answers on subject with "re:" and the request's data, and
// copies the request's headers into the reply.
func echoService(t testing.TB, nc *core.Conn, subject string, opts ...core.SubOption) *core.Subscription {
	t.Helper()
	sub, err := nc.Subscribe(subject, func(m *core.Msg) {
		_ = m.RespondMsg(&core.Msg{Header: m.Header, Data: append([]byte("re:"), m.Data...)})
	}, opts...)
	require.NoError(t, err)
	flush(t, nc)
	return sub
}

func TestRequestReply(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	echoService(t, srv, "echo")
	ctx := testCtx(t, 5*time.Second)

	r, err := nc.Request(ctx, "echo", []byte("hi"))
	require.NoError(t, err)
	assert.Equal(t, "re:hi", string(r.Data))
	assert.Equal(t, 0, nc.Stats().PendingRequests, "entry removed on reply")
	assert.Equal(t, 0, nc.NumSubscriptions(), "the shared inbox is not a user subscription")

	h := core.Header{}
	h.Set("Trace", "t-1")
	h.Add("Multi", "a")
	h.Add("Multi", "b")
	r, err = nc.RequestMsg(ctx, &core.Msg{Subject: "echo", Header: h, Data: []byte("hdr"), Reply: "ignored"})
	require.NoError(t, err)
	assert.Equal(t, "re:hdr", string(r.Data))
	assert.Equal(t, "t-1", r.Header.Get("Trace"))
	assert.Equal(t, []string{"a", "b"}, r.Header.Values("Multi"))
	assert.Equal(t, 0, nc.Stats().PendingRequests)

	// Many at once, each gets its own answer.
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := nc.Request(ctx, "echo", []byte(strconv.Itoa(i)))
			if assert.NoError(t, err) {
				assert.Equal(t, "re:"+strconv.Itoa(i), string(r.Data))
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestNoResponders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	ctx := testCtx(t, 5*time.Second)
	start := time.Now()
	_, err := nc.Request(ctx, "nobody", nil)
	assert.ErrorIs(t, err, core.ErrNoResponders)
	assert.True(t, core.IsTemporary(err))
	_, err = nc.RequestMsg(ctx, &core.Msg{Subject: "nobody", Header: core.Header{"K": {"v"}}})
	assert.ErrorIs(t, err, core.ErrNoResponders)
	_, err = nc.Request(ctx, "nobody", nil, core.UniqueInbox())
	assert.ErrorIs(t, err, core.ErrNoResponders)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, 0, nc.Stats().PendingRequests, "entry removed on no responders")
}

func TestRequestTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL(), core.WithRequestTimeout(100*time.Millisecond))
	// Someone listens, nobody answers.
	_, err := nc.SubscribeSync("silent")
	require.NoError(t, err)
	flush(t, nc)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = nc.Request(ctx, "silent", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, 0, nc.Stats().PendingRequests, "entry removed on timeout")

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel2)
	_, err = nc.Request(ctx2, "silent", nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, nc.Stats().PendingRequests, "entry removed on cancel")

	// No deadline on ctx: the connection's request timeout applies.
	start = time.Now()
	_, err = nc.Request(context.Background(), "silent", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 100*time.Millisecond)
	assert.Less(t, took, 3*time.Second)

	_, err = nc.Request(ctx, "silent", nil, core.UniqueInbox())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

// TestRequestManyTimeoutsLeaveNothing runs 100 000 requests that all time
// out (a subscriber takes them and never answers) and then checks the
// pending table is empty. Three thousand wait out a real 1 ms timer
// (register, publish, give up); the rest have a deadline already past and
// are refused before anything is registered or sent. Late replies to dead
// requests are dropped too.
func TestRequestManyTimeoutsLeaveNothing(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sink := connect(t, s.ClientURL())
	_, err := sink.SubscribeBorrowed("sink", func(*core.BorrowedMsg) {})
	require.NoError(t, err)
	flush(t, sink)
	nc := connect(t, s.ClientURL())

	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	const workers, each, timed = 10, 10000, 300
	var wg sync.WaitGroup
	var mu sync.Mutex
	timeouts := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := 0; i < each; i++ {
				ctx := expired
				var cancel context.CancelFunc = func() {}
				if i < timed {
					ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
				}
				_, err := nc.Request(ctx, "sink", nil)
				cancel()
				if err == context.DeadlineExceeded {
					n++
				} else {
					t.Errorf("request %d/%d: %v", w, i, err)
					return
				}
			}
			mu.Lock()
			timeouts += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.Equal(t, workers*each, timeouts)
	assert.Equal(t, 0, nc.Stats().PendingRequests, "100 000 timed-out requests left entries behind")
	// Only the timed ones were sent, less any whose 1 ms had already passed
	// when Request looked (a busy machine).
	flush(t, nc)
	sent := nc.Stats().OutMsgs
	assert.LessOrEqual(t, sent, uint64(workers*timed))
	assert.Greater(t, sent, uint64(workers*timed/2))

	// Replies that come after their request gave up are dropped, and leave
	// nothing either.
	late := connect(t, s.ClientURL())
	_, err = late.Subscribe("late", func(m *core.Msg) {
		time.Sleep(5 * time.Millisecond)
		_ = m.Respond([]byte("too late"))
	})
	require.NoError(t, err)
	flush(t, late)
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_, err := nc.Request(ctx, "late", nil)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	flush(t, late)
	time.Sleep(150 * time.Millisecond) // the late replies arrive
	flush(t, nc)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
	r, err := nc.Request(testCtx(t, 5*time.Second), "late", nil)
	require.NoError(t, err, "the shared inbox still works")
	assert.Equal(t, "too late", string(r.Data))
}

func TestRequestUniqueInbox(t *testing.T) {
	t.Parallel()
	s := runSysServer(t)
	srv := appConn(t, s)
	replies := make(chan string, 4)
	_, err := srv.Subscribe("who", func(m *core.Msg) {
		replies <- m.Reply
		_ = m.Respond([]byte("me"))
	})
	require.NoError(t, err)
	flush(t, srv)
	nc := appConn(t, s, core.WithName("unique-requester"))
	ctx := testCtx(t, 5*time.Second)

	r, err := nc.Request(ctx, "who", nil)
	require.NoError(t, err)
	assert.Equal(t, "me", string(r.Data))
	shared := recv(t, replies)
	assert.True(t, strings.HasPrefix(shared, core.DefaultInboxPrefix+"."))
	assert.Equal(t, 3, len(strings.Split(shared, ".")), "shared inbox: prefix.nuid.token: %s", shared)

	r, err = nc.Request(ctx, "who", nil, core.UniqueInbox())
	require.NoError(t, err)
	assert.Equal(t, "me", string(r.Data))
	unique := recv(t, replies)
	assert.Equal(t, 2, len(strings.Split(unique, ".")), "own inbox: prefix.nuid: %s", unique)
	assert.False(t, strings.HasPrefix(unique, strings.TrimSuffix(shared, shared[strings.LastIndexByte(shared, '.'):])))

	// The request's own subscription is gone from the server afterwards:
	// only the shared inbox remains.
	flush(t, nc)
	sys := sysConn(t, s)
	ci := serverConnNamed(t, sys, "unique-requester")
	assert.Equal(t, uint32(1), ci.NumSubs, "subscriptions left on the server: %v", ci.Subs)
	assert.Equal(t, 0, nc.NumSubscriptions())
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

func TestRequestInboxPrefix(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	replies := make(chan string, 2)
	_, err := srv.Subscribe("who", func(m *core.Msg) { replies <- m.Reply; _ = m.Respond(nil) })
	require.NoError(t, err)
	flush(t, srv)
	nc := connect(t, s.ClientURL(), core.WithInboxPrefix("my.replies"))
	assert.True(t, strings.HasPrefix(nc.NewInbox(), "my.replies."))
	assert.NotEqual(t, nc.NewInbox(), nc.NewInbox())
	ctx := testCtx(t, 5*time.Second)
	_, err = nc.Request(ctx, "who", nil)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(recv(t, replies), "my.replies."))
	_, err = nc.Request(ctx, "who", nil, core.UniqueInbox())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(recv(t, replies), "my.replies."))
}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	ctx := testCtx(t, 5*time.Second)
	_, err := nc.Request(ctx, "bad subject", nil)
	assert.ErrorIs(t, err, core.ErrBadSubject)
	_, err = nc.Request(ctx, "bad.*", nil, core.UniqueInbox())
	assert.ErrorIs(t, err, core.ErrBadSubject)
	assert.Equal(t, 0, nc.Stats().PendingRequests)

	// Close while a request waits: it ends with ErrConnectionClosed.
	_, err = nc.SubscribeSync("silent")
	require.NoError(t, err)
	flush(t, nc)
	done := make(chan error, 2)
	go func() { _, err := nc.Request(ctx, "silent", nil); done <- err }()
	go func() { _, err := nc.Request(ctx, "silent", nil, core.UniqueInbox()); done <- err }()
	time.Sleep(50 * time.Millisecond)
	nc.Close()
	assert.ErrorIs(t, recv(t, done), core.ErrConnectionClosed)
	assert.ErrorIs(t, recv(t, done), core.ErrConnectionClosed)
	_, err = nc.Request(ctx, "x", nil)
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	_, err = nc.RequestMsg(ctx, &core.Msg{Subject: "x"})
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	_, err = nc.Request(ctx, "x", nil, core.UniqueInbox())
	assert.ErrorIs(t, err, core.ErrConnectionClosed)
	assert.Equal(t, 0, nc.Stats().PendingRequests)
}

// A request whose context has already ended sends nothing: its caller
// could never learn what the responder did with it.
func TestRequestWithEndedContextSendsNothing(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	nc := connect(t, s.ClientURL())
	var got atomic.Int32
	_, err := srv.Subscribe("ended", func(m *core.Msg) {
		got.Add(1)
		_ = m.Respond(nil)
	})
	require.NoError(t, err)
	flush(t, srv)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = nc.Request(ctx, "ended", []byte("x"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = nc.Request(ctx, "ended", []byte("x"), core.UniqueInbox())
	assert.ErrorIs(t, err, context.Canceled)
	for _, err := range nc.RequestMany(ctx, "ended", []byte("x")) {
		assert.ErrorIs(t, err, context.Canceled)
	}
	// The same requests with a live context arrive, behind the others.
	_, err = nc.Request(testCtx(t, 5*time.Second), "ended", []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, int32(1), got.Load(), "only the live request reached the responder")
}
