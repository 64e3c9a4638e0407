package obj_test

import (
	"context"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newJS starts a JetStream server (in process unless opts say otherwise)
// and returns a JetStream context on a connection closed with the test.
func newJS(t testing.TB, opts ...harness.Option) (*harness.Server, *core.Conn, *js.JetStream) {
	t.Helper()
	s := harness.RunServer(t, append([]harness.Option{harness.WithJetStream()}, opts...)...)
	nc, j := connectJS(t, s.ClientURL())
	return s, nc, j
}

func connectJS(t testing.TB, url string, opts ...core.Option) (*core.Conn, *js.JetStream) {
	t.Helper()
	nc, err := core.Connect(testCtx(t, 10*time.Second), url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	j, err := js.New(nc, js.WithTimeout(10*time.Second))
	require.NoError(t, err)
	t.Cleanup(j.Close)
	return nc, j
}

func newStore(t testing.TB, j *js.JetStream, bucket string) *obj.Store {
	t.Helper()
	s, err := obj.Create(testCtx(t, 10*time.Second), j, obj.Config{Bucket: bucket})
	require.NoError(t, err)
	return s
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// consumerCount is how many consumers the store's stream has.
func consumerCount(t testing.TB, j *js.JetStream, bucket string) int {
	t.Helper()
	si, err := j.StreamInfo(testCtx(t, 10*time.Second), "OBJ_"+bucket)
	require.NoError(t, err)
	return si.State.Consumers
}

// iterPull is iter.Pull2 for a watch.
func iterPull(seq func(func(*obj.Info, error) bool)) (func() (*obj.Info, error, bool), func()) {
	return iter.Pull2(seq)
}
