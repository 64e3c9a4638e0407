//go:build !race

// Allocation counts are exact only without the race detector, which makes sync.Pool
// drop items at random; these tests run in the ordinary (non-race) test run.

package svc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// roundTripAllocs measures the allocations of one request/reply through
// subject, requester and responder in this process. The server runs as its
// own process so that its allocations are not counted.
func roundTripAllocs(t *testing.T, nc *core.Conn, subject string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := make([]byte, 16)
	req := func() {
		m, err := nc.Request(ctx, subject, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Data) != 16 {
			t.Fatalf("reply of %d bytes", len(m.Data))
		}
	}
	req()
	return testing.AllocsPerRun(2000, req)
}

// perf.md: a borrowed endpoint allocates nothing per request, statistics
// included, so a round trip through it costs what a bare borrowed
// responder costs (the requester's reply, 1) and at most 2 in all.
func TestAllocsBorrowedEndpoint(t *testing.T) {
	s := harness.RunServer(t, harness.WithProcess())
	nc := connect(t, s.ClientURL())
	_, err := nc.SubscribeBorrowed("alloc.bare", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	require.NoError(t, err)
	srv := addService(t, nc, svc.Config{Name: "alloc", Version: "1.0.0"})
	_, err = srv.AddEndpoint("echo", svc.HandlerFunc(func(r *svc.Request) { _ = r.Respond(r.Data()) }),
		svc.Borrowed(), svc.WithSubject("alloc.svc"))
	require.NoError(t, err)
	flush(t, nc)

	bare := roundTripAllocs(t, nc, "alloc.bare")
	endpoint := roundTripAllocs(t, nc, "alloc.svc")
	t.Logf("round trip: %.2f allocations with a bare borrowed responder, %.2f through a borrowed endpoint", bare, endpoint)
	require.LessOrEqual(t, endpoint, 2.0, "perf.md: at most 2 allocations per request through a borrowed endpoint")
	require.LessOrEqual(t, endpoint, bare, "the borrowed endpoint allocates per request")
	// One warm-up call of ours, AllocsPerRun's own warm-up and its 2000 runs.
	require.Equal(t, 1+1+2000, srv.Stats().Endpoints[0].NumRequests, "every request counted")
}

// An owned endpoint copies the request once (core's owned message) and
// allocates its Request: 2 more than a bare borrowed responder.
func TestAllocsOwnedEndpoint(t *testing.T) {
	s := harness.RunServer(t, harness.WithProcess())
	nc := connect(t, s.ClientURL())
	_, err := nc.SubscribeBorrowed("alloc.bare", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	require.NoError(t, err)
	srv := addService(t, nc, svc.Config{Name: "alloc", Version: "1.0.0"})
	_, err = srv.AddEndpoint("echo", svc.HandlerFunc(func(r *svc.Request) { _ = r.Respond(r.Data()) }),
		svc.WithSubject("alloc.owned"))
	require.NoError(t, err)
	flush(t, nc)
	bare := roundTripAllocs(t, nc, "alloc.bare")
	owned := roundTripAllocs(t, nc, "alloc.owned")
	t.Logf("round trip: %.2f allocations with a bare borrowed responder, %.2f through an owned endpoint", bare, owned)
	require.LessOrEqual(t, owned, bare+2)
}
