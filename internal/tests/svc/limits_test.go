package svc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// Requests over an endpoint's pending limits are dropped by core; the
// service counts them as errors and reports them, since their requesters
// will only time out.
func TestEndpointPendingLimits(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	reported := make(chan error, 8)
	srv := addService(t, nc, svc.Config{Name: "limited", Version: "1.0.0",
		ErrorHandler: func(_ *svc.Service, err error) { reported <- err }})
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	_, err := srv.AddEndpoint("slow", svc.HandlerFunc(func(r *svc.Request) {
		entered <- struct{}{}
		<-release
		_ = r.Respond([]byte("done"))
	}), svc.PendingLimits(1, 0))
	require.NoError(t, err)
	flush(t, nc)

	replies, err := cli.SubscribeSync("limited.replies")
	require.NoError(t, err)
	require.NoError(t, cli.PublishRequest("slow", "limited.replies", nil))
	<-entered // the first is in the handler, out of the queue
	for range 4 {
		require.NoError(t, cli.PublishRequest("slow", "limited.replies", nil))
	}
	flush(t, cli)
	flush(t, nc) // every request reached the service's connection
	close(release)
	for range 2 {
		m, err := replies.Next(testCtx(t, 5*time.Second))
		require.NoError(t, err)
		assert.Equal(t, "done", string(m.Data))
	}
	waitCounted(t, srv, 2)
	st := srv.Stats().Endpoints[0]
	assert.Equal(t, 2, st.NumRequests)
	assert.Equal(t, 3, st.NumErrors)
	assert.True(t, strings.HasPrefix(st.LastError, "503:3 requests dropped"), st.LastError)
	select {
	case err := <-reported:
		assert.ErrorIs(t, err, core.ErrSlowConsumer)
	case <-time.After(5 * time.Second):
		t.Fatal("drops not reported")
	}
}

// An endpoint the server refuses to subscribe (permissions) is reported
// to the ErrorHandler and counted, instead of silently never answering.
func TestEndpointPermissionViolation(t *testing.T) {
	s := harness.RunServer(t, harness.WithConfig(`authorization {
  users = [{user: "svc", password: "pw", permissions: {subscribe: {deny: ["forbidden.>"]}}}]
}`))
	nc := connect(t, s.ClientURL(), core.WithUserInfo("svc", "pw"))
	reported := make(chan error, 4)
	srv := addService(t, nc, svc.Config{Name: "denied", Version: "1.0.0",
		ErrorHandler: func(_ *svc.Service, err error) { reported <- err }})
	_, err := srv.AddEndpoint("x", svc.HandlerFunc(echo), svc.WithSubject("forbidden.x"))
	require.NoError(t, err)
	select {
	case err := <-reported:
		var he *svc.HandlerError
		require.True(t, errors.As(err, &he), "%v", err)
		assert.Equal(t, "x", he.Endpoint)
		assert.ErrorIs(t, err, core.ErrPermissionViolation)
	case <-time.After(10 * time.Second):
		t.Fatal("permission violation not reported")
	}
	st := srv.Stats().Endpoints[0]
	assert.Equal(t, 1, st.NumErrors)
	assert.False(t, srv.Stopped(), "the rest of the service keeps running")
}
