package svc_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// Three instances of one service behind the default queue group: the
// load is spread over all of them, and every one answers PING.
func TestThreeInstances(t *testing.T) {
	s := harness.RunServer(t)
	cli := connect(t, s.ClientURL())
	var served [3]atomic.Int64
	var ids [3]string
	for i := range 3 {
		nc := connect(t, s.ClientURL())
		srv := addService(t, nc, svc.Config{Name: "trio", Version: "1.0.0"})
		ids[i] = srv.ID()
		_, err := srv.AddEndpoint("work", svc.HandlerFunc(func(r *svc.Request) {
			served[i].Add(1)
			_ = r.Respond([]byte(r.Endpoint().Service().ID()))
		}))
		require.NoError(t, err)
		flush(t, nc)
	}
	const n = 300
	for range n {
		_, err := cli.Request(testCtx(t, 5*time.Second), "work", nil)
		require.NoError(t, err)
	}
	var total int64
	for i := range served {
		got := served[i].Load()
		total += got
		// Queue groups pick a member at random: each gets a share, none
		// all of it.
		assert.Greater(t, got, int64(n/10), "instance %d served %d of %d", i, got, n)
	}
	assert.Equal(t, int64(n), total, "each request served once")

	pings := collect(t, svc.Ping(testCtx(t, 5*time.Second), cli, "trio", ""))
	var got []string
	for _, p := range pings {
		got = append(got, p.ID)
	}
	assert.ElementsMatch(t, ids[:], got)
	for _, id := range ids {
		one := collect(t, svc.Stats(testCtx(t, 5*time.Second), cli, "trio", id))
		require.Len(t, one, 1)
		assert.Equal(t, id, one[0].ID)
	}
}

// Stop while requests flow to slow handlers: every request either gets
// its answer or an explicit error (no responders once all instances are
// gone); none is left to time out.
func TestStopDuringLoad(t *testing.T) {
	s := harness.RunServer(t)
	cli := connect(t, s.ClientURL())
	var services []*svc.Service
	for range 3 {
		nc := connect(t, s.ClientURL())
		srv := addService(t, nc, svc.Config{Name: "load", Version: "1.0.0"})
		_, err := srv.AddEndpoint("slow", svc.HandlerFunc(func(r *svc.Request) {
			time.Sleep(time.Millisecond)
			_ = r.Respond(r.Data())
		}))
		require.NoError(t, err)
		flush(t, nc)
		services = append(services, srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ok, noResponders, other atomic.Int64
	var otherErr atomic.Value
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf("%d-%d", w, i)
				rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
				m, err := cli.Request(rctx, "slow", []byte(body))
				rcancel()
				switch {
				case err == nil && string(m.Data) == body:
					ok.Add(1)
				case errors.Is(err, core.ErrNoResponders):
					noResponders.Add(1)
					time.Sleep(time.Millisecond)
				default:
					other.Add(1)
					otherErr.Store(fmt.Sprintf("%v %q", err, body))
				}
			}
		}()
	}
	waitFor := func(n int64) {
		deadline := time.Now().Add(10 * time.Second)
		for ok.Load() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(200)
	for i, srv := range services {
		before := ok.Load()
		require.NoError(t, srv.Stop(testCtx(t, 10*time.Second)))
		assert.True(t, srv.Stopped())
		if i < len(services)-1 {
			waitFor(before + 100)
		}
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	assert.Zero(t, other.Load(), "requests lost or wrong: %v", otherErr.Load())
	assert.Greater(t, ok.Load(), int64(400))
	assert.Greater(t, noResponders.Load(), int64(0), "the last Stop should leave no responders")
	t.Logf("ok %d, no responders %d", ok.Load(), noResponders.Load())
}

// Stop drains endpoints and discovery, runs the DoneHandler, refuses new
// endpoints, and may be called twice.
func TestStop(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	done := make(chan *svc.Service, 1)
	srv, err := svc.Add(nc, svc.Config{Name: "stop", Version: "1.0.0", DoneHandler: func(s *svc.Service) { done <- s }})
	require.NoError(t, err)
	_, err = srv.AddEndpoint("e", svc.HandlerFunc(echo))
	require.NoError(t, err)
	assert.Equal(t, 10, nc.NumSubscriptions())
	require.NoError(t, srv.Stop(testCtx(t, 10*time.Second)))
	assert.Zero(t, nc.NumSubscriptions())
	select {
	case got := <-done:
		assert.Same(t, srv, got)
	default:
		t.Fatal("DoneHandler had not run when Stop returned")
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed")
	}
	require.NoError(t, srv.Stop(testCtx(t, 10*time.Second)))
	_, err = srv.AddEndpoint("late", svc.HandlerFunc(echo))
	assert.ErrorIs(t, err, svc.ErrStopped)
	_, err = srv.AddGroup("late")
	assert.ErrorIs(t, err, svc.ErrStopped)
	assert.Empty(t, collect(t, svc.Ping(testCtx(t, 5*time.Second), nc, "stop", "")))
}

// A service whose connection closes stops, and says so.
func TestStopOnConnectionClose(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	done := make(chan struct{})
	srv, err := svc.Add(nc, svc.Config{Name: "closing", Version: "1.0.0", DoneHandler: func(*svc.Service) { close(done) }})
	require.NoError(t, err)
	nc.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("DoneHandler not called after the connection closed")
	}
	<-srv.Done()
	assert.True(t, srv.Stopped())
	require.NoError(t, srv.Stop(testCtx(t, 5*time.Second)))
}

// After its server restarts, the service is found and answers again: the
// connection restored its subscriptions, and its counters are kept.
func TestDiscoverableAfterRestart(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL(), core.WithReconnectWait(20*time.Millisecond, 200*time.Millisecond))
	cli := connect(t, s.ClientURL(), core.WithReconnectWait(20*time.Millisecond, 200*time.Millisecond))
	srv := addService(t, nc, svc.Config{Name: "phoenix", Version: "1.0.0"})
	_, err := srv.AddEndpoint("rise", svc.HandlerFunc(echo))
	require.NoError(t, err)
	flush(t, nc)
	_, err = cli.Request(testCtx(t, 5*time.Second), "rise", nil)
	require.NoError(t, err)

	s.Restart()
	require.Eventually(t, func() bool { return nc.Stats().Reconnects > 0 && nc.IsConnected() }, 20*time.Second, 10*time.Millisecond,
		"the service's connection never reconnected")
	require.Eventually(t, func() bool {
		for p, err := range svc.Ping(testCtx(t, 2*time.Second), cli, "phoenix", "") {
			if err == nil && p.ID == srv.ID() {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond)
	m, err := cli.Request(testCtx(t, 5*time.Second), "rise", []byte("again"))
	require.NoError(t, err)
	assert.Equal(t, "again", string(m.Data))
	st := collect(t, svc.Stats(testCtx(t, 5*time.Second), cli, "phoenix", srv.ID()))
	require.Len(t, st, 1)
	assert.Equal(t, 2, st[0].Endpoints[0].NumRequests)
	assert.False(t, srv.Stopped())
}

// Stop is bounded by its context: a handler that never returns does not
// hold it forever.
func TestStopDeadline(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "stuck", Version: "1.0.0"})
	release := make(chan struct{})
	entered := make(chan struct{})
	_, err := srv.AddEndpoint("hang", svc.HandlerFunc(func(r *svc.Request) {
		close(entered)
		<-release
		_ = r.Respond(nil)
	}))
	require.NoError(t, err)
	require.NoError(t, nc.PublishRequest("hang", "nobody.listens", nil))
	<-entered
	start := time.Now()
	err = srv.Stop(testCtx(t, 200*time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.True(t, srv.Stopped())
	close(release)
	require.NoError(t, srv.Stop(testCtx(t, 10*time.Second)))
}

// One endpoint can leave while the service goes on: it is drained, leaves
// INFO and STATS, and its subject has no responders afterwards.
func TestEndpointStop(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "partial", Version: "1.0.0"})
	gone, err := srv.AddEndpoint("gone", svc.HandlerFunc(echo))
	require.NoError(t, err)
	_, err = srv.AddEndpoint("kept", svc.HandlerFunc(echo))
	require.NoError(t, err)
	flush(t, nc)
	_, err = cli.Request(testCtx(t, 5*time.Second), "gone", nil)
	require.NoError(t, err)

	require.NoError(t, gone.Stop(testCtx(t, 10*time.Second)))
	require.NoError(t, gone.Stop(testCtx(t, 10*time.Second)))
	_, err = cli.Request(testCtx(t, 5*time.Second), "gone", nil)
	assert.ErrorIs(t, err, core.ErrNoResponders)
	m, err := cli.Request(testCtx(t, 5*time.Second), "kept", []byte("still"))
	require.NoError(t, err)
	assert.Equal(t, "still", string(m.Data))
	infos := collect(t, svc.Info(testCtx(t, 5*time.Second), cli, "partial", srv.ID()))
	require.Len(t, infos, 1)
	require.Len(t, infos[0].Endpoints, 1)
	assert.Equal(t, "kept", infos[0].Endpoints[0].Name)
	assert.Len(t, srv.Stats().Endpoints, 1)
	assert.False(t, srv.Stopped())
}

// Draining the service's connection (the "defer nc.Drain()" of many
// programs, nats.go issue 1228) answers the requests in flight, then the
// service reports itself stopped.
func TestConnectionDrainStopsService(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	srv, err := svc.Add(nc, svc.Config{Name: "drained", Version: "1.0.0"})
	require.NoError(t, err)
	entered := make(chan struct{}, 1)
	_, err = srv.AddEndpoint("slow", svc.HandlerFunc(func(r *svc.Request) {
		entered <- struct{}{}
		time.Sleep(100 * time.Millisecond)
		_ = r.Respond([]byte("answered"))
	}))
	require.NoError(t, err)
	flush(t, nc)
	reply := make(chan error, 1)
	go func() {
		m, err := cli.Request(testCtx(t, 10*time.Second), "slow", nil)
		if err == nil && string(m.Data) != "answered" {
			err = errors.New("wrong answer " + string(m.Data))
		}
		reply <- err
	}()
	<-entered
	require.NoError(t, nc.Drain(testCtx(t, 10*time.Second)))
	require.NoError(t, <-reply)
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("service not stopped after its connection drained")
	}
	assert.True(t, srv.Stopped())
}
