package svc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/svc"
)

func connect(t testing.TB, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// addService adds a service and stops it when the test ends.
func addService(t testing.TB, nc *core.Conn, cfg svc.Config) *svc.Service {
	t.Helper()
	s, err := svc.Add(nc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

func flush(t testing.TB, nc *core.Conn) {
	t.Helper()
	require.NoError(t, nc.Flush(testCtx(t, 10*time.Second)))
}

// collect drains a discovery iterator into a slice, failing on errors.
func collect[T any](t testing.TB, seq func(func(*T, error) bool)) []*T {
	t.Helper()
	var out []*T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func echo(r *svc.Request) { _ = r.Respond(r.Data()) }
