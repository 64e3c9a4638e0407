package svc_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// Both request forms answer, read the request's data, subject and headers,
// and reply with headers.
func TestEndpointRespond(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "resp", Version: "1.0.0"})
	handler := svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte(r.Subject()+"|"+r.HeaderValue("X-In")+"|"+string(r.Data())),
			svc.WithHeaders(core.Header{"X-Out": {"yes"}}))
	})
	_, err := srv.AddEndpoint("owned", handler)
	require.NoError(t, err)
	_, err = srv.AddEndpoint("borrowed", handler, svc.Borrowed())
	require.NoError(t, err)
	flush(t, nc)
	for _, subj := range []string{"owned", "borrowed"} {
		m, err := cli.RequestMsg(testCtx(t, 5*time.Second), &core.Msg{Subject: subj, Header: core.Header{"X-In": {"h"}}, Data: []byte("d")})
		require.NoError(t, err)
		assert.Equal(t, subj+"|h|d", string(m.Data))
		assert.Equal(t, "yes", m.Header.Get("X-Out"))
		assert.NoError(t, svc.ResponseError(m))
	}
}

func TestEndpointRespondJSON(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "json", Version: "1.0.0"})
	var encErr error
	_, err := srv.AddEndpoint("ok", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.RespondJSON(map[string]int{"n": len(r.Data())})
	}))
	require.NoError(t, err)
	done := make(chan struct{})
	_, err = srv.AddEndpoint("bad", svc.HandlerFunc(func(r *svc.Request) {
		encErr = r.RespondJSON(func() {})
		_ = r.Error(500, "cannot encode", nil)
		close(done)
	}))
	require.NoError(t, err)
	m, err := nc.Request(testCtx(t, 5*time.Second), "ok", []byte("abc"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"n":3}`, string(m.Data))
	m, err = nc.Request(testCtx(t, 5*time.Second), "bad", nil)
	require.NoError(t, err)
	<-done
	assert.Error(t, encErr)
	assert.Error(t, svc.ResponseError(m))
}

// ADR-32 §errors: the two headers, the optional payload, the counters.
func TestEndpointError(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "err", Version: "1.0.0"})
	var badErr error
	var mu sync.Mutex
	for _, borrowed := range []bool{false, true} {
		var opts []svc.Option
		name := "owned"
		if borrowed {
			opts, name = append(opts, svc.Borrowed()), "borrowed"
		}
		_, err := srv.AddEndpoint(name, svc.HandlerFunc(func(r *svc.Request) {
			mu.Lock()
			badErr = r.Error(0, "", nil)
			mu.Unlock()
			_ = r.Error(409, "conflict\r\nInjected: header", []byte(`{"why":"taken"}`), svc.WithHeaders(core.Header{"X-Extra": {"1"}}))
		}), opts...)
		require.NoError(t, err)
	}
	for _, subj := range []string{"owned", "borrowed"} {
		m, err := nc.Request(testCtx(t, 5*time.Second), subj, nil)
		require.NoError(t, err)
		assert.Equal(t, "409", m.Header.Get(svc.ErrorCodeHeader))
		assert.Equal(t, "conflict  Injected: header", m.Header.Get(svc.ErrorHeader))
		assert.Empty(t, m.Header.Get("Injected"), "a description must not forge headers")
		assert.Equal(t, "1", m.Header.Get("X-Extra"))
		var se *svc.ServiceError
		require.True(t, errors.As(svc.ResponseError(m), &se))
		assert.Equal(t, 409, se.Code)
		assert.Equal(t, `{"why":"taken"}`, string(se.Data))
	}
	mu.Lock()
	assert.ErrorIs(t, badErr, svc.ErrBadErrorReply)
	mu.Unlock()
	waitCounted(t, srv, 1)
	for _, e := range srv.Stats().Endpoints {
		assert.Equal(t, 1, e.NumRequests, e.Name)
		assert.Equal(t, 1, e.NumErrors, e.Name)
		assert.Equal(t, "409:conflict  Injected: header", e.LastError, e.Name)
	}
}

// A successful request is not an error (the nats.c bug counted every
// request as one), and the average is total / requests (nats.rs divided by
// two).
func TestEndpointStatsCounting(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "count", Version: "1.0.0",
		StatsHandler: func(e *svc.Endpoint) any { return map[string]string{"endpoint": e.Name()} }})
	n := 0
	_, err := srv.AddEndpoint("work", svc.HandlerFunc(func(r *svc.Request) {
		n++
		time.Sleep(time.Duration(n) * time.Millisecond)
		if n == 3 {
			_ = r.Error(503, "busy", nil)
			return
		}
		_ = r.Respond(nil)
	}))
	require.NoError(t, err)
	for range 4 {
		_, err := nc.Request(testCtx(t, 5*time.Second), "work", nil)
		require.NoError(t, err)
	}
	waitCounted(t, srv, 4)
	st := srv.Stats().Endpoints[0]
	assert.Equal(t, 4, st.NumRequests)
	assert.Equal(t, 1, st.NumErrors)
	assert.Equal(t, "503:busy", st.LastError)
	assert.GreaterOrEqual(t, st.ProcessingTime, 10*time.Millisecond)
	assert.Equal(t, st.ProcessingTime/4, st.AverageProcessingTime)
	assert.JSONEq(t, `{"endpoint":"work"}`, string(st.Data))

	srv.Reset()
	st = srv.Stats().Endpoints[0]
	assert.Zero(t, st.NumRequests)
	assert.Zero(t, st.NumErrors)
	assert.Empty(t, st.LastError)
	assert.Zero(t, st.ProcessingTime)
	assert.Zero(t, st.AverageProcessingTime)
}

// A panicking handler: the requester gets a 500, the panic is counted and
// reported, and the endpoint keeps serving; in both request forms.
func TestEndpointPanic(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	reported := make(chan error, 4)
	srv := addService(t, nc, svc.Config{Name: "panic", Version: "1.0.0",
		ErrorHandler: func(_ *svc.Service, err error) { reported <- err }})
	h := svc.HandlerFunc(func(r *svc.Request) {
		if string(r.Data()) == "boom" {
			panic("kaboom")
		}
		_ = r.Respond([]byte("fine"))
	})
	_, err := srv.AddEndpoint("owned", h)
	require.NoError(t, err)
	_, err = srv.AddEndpoint("borrowed", h, svc.Borrowed())
	require.NoError(t, err)
	for _, subj := range []string{"owned", "borrowed"} {
		m, err := nc.Request(testCtx(t, 5*time.Second), subj, []byte("boom"))
		require.NoError(t, err)
		var se *svc.ServiceError
		require.True(t, errors.As(svc.ResponseError(m), &se), subj)
		assert.Equal(t, 500, se.Code)
		select {
		case err := <-reported:
			assert.ErrorIs(t, err, svc.ErrHandlerPanic)
			var he *svc.HandlerError
			require.True(t, errors.As(err, &he))
			assert.Equal(t, subj, he.Endpoint)
			assert.Equal(t, "kaboom", he.Value)
		case <-time.After(5 * time.Second):
			t.Fatal("panic not reported")
		}
		m, err = nc.Request(testCtx(t, 5*time.Second), subj, []byte("again"))
		require.NoError(t, err)
		assert.Equal(t, "fine", string(m.Data))
	}
	waitCounted(t, srv, 2)
	for _, e := range srv.Stats().Endpoints {
		assert.Equal(t, 2, e.NumRequests)
		assert.Equal(t, 1, e.NumErrors)
		assert.True(t, strings.HasPrefix(e.LastError, "500:"), e.LastError)
	}
	assert.False(t, srv.Stopped())
}

// A handler that answered and then panicked sends no second reply, but the
// panic still counts.
func TestEndpointPanicAfterRespond(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "late", Version: "1.0.0"})
	_, err := srv.AddEndpoint("p", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte("ok"))
		panic("after")
	}))
	require.NoError(t, err)
	sub, err := nc.SubscribeSync("late.replies")
	require.NoError(t, err)
	require.NoError(t, nc.PublishRequest("p", "late.replies", nil))
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(m.Data))
	flush(t, nc)
	_, err = sub.Next(testCtx(t, 300*time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, srv.Stats().Endpoints[0].NumErrors)
}

// A plain publish to an endpoint has nowhere to answer: Respond says so
// with core's typed error instead of failing silently.
func TestEndpointNoReplySubject(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "noreply", Version: "1.0.0"})
	got := make(chan error, 2)
	for _, opts := range [][]svc.Option{nil, {svc.Borrowed(), svc.WithSubject("b")}} {
		_, err := srv.AddEndpoint("e"+strings.Repeat("x", len(opts)), svc.HandlerFunc(func(r *svc.Request) {
			assert.Empty(t, r.Reply())
			got <- r.Respond([]byte("lost"))
		}), opts...)
		require.NoError(t, err)
	}
	require.NoError(t, nc.Publish("e", nil))
	require.NoError(t, nc.Publish("b", nil))
	for range 2 {
		select {
		case err := <-got:
			assert.ErrorIs(t, err, core.ErrNoReply)
		case <-time.After(5 * time.Second):
			t.Fatal("handler not called")
		}
	}
}

// waitCounted waits until every endpoint of srv counted n requests. A reply goes out
// from inside the handler and the request is counted when the handler returns, so a
// requester holding its reply can read the stats a moment too early.
func waitCounted(t *testing.T, srv *svc.Service, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, e := range srv.Stats().Endpoints {
			if e.NumRequests < n {
				return false
			}
		}
		return true
	}, 5*time.Second, time.Millisecond, "the endpoints never counted %d requests", n)
}
