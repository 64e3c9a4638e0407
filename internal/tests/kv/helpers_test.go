package kv_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func connect(t testing.TB, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	nc, err := core.Connect(testCtx(t, 10*time.Second), url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

func newStoreOn(t testing.TB, nc *core.Conn, opts ...js.Option) *kv.Store {
	t.Helper()
	j, err := js.New(nc, opts...)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	s, err := kv.New(j)
	require.NoError(t, err)
	return s
}

// newStore starts a JetStream server and returns a Store on it.
func newStore(t testing.TB, opts ...harness.Option) (*harness.Server, *core.Conn, *kv.Store) {
	t.Helper()
	s := harness.RunServer(t, append([]harness.Option{harness.WithJetStream()}, opts...)...)
	nc := connect(t, s.ClientURL())
	return s, nc, newStoreOn(t, nc)
}

func newBucket(t testing.TB, s *kv.Store, cfg kv.Config) *kv.Bucket {
	t.Helper()
	b, err := s.Create(testCtx(t, 10*time.Second), cfg)
	require.NoError(t, err)
	return b
}
