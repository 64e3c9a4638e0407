package js_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// testCtx returns a context that ends after d or with the test.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect opens a connection closed with the test.
func connect(t testing.TB, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	nc, err := core.Connect(testCtx(t, 10*time.Second), url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// newJS starts a JetStream server and returns a context on it; opts are
// harness.Option and js.Option values.
func newJS(t testing.TB, opts ...any) (*harness.Server, *core.Conn, *js.JetStream) {
	t.Helper()
	sopts := []harness.Option{harness.WithJetStream()}
	var jopts []js.Option
	for _, o := range opts {
		switch o := o.(type) {
		case harness.Option:
			sopts = append(sopts, o)
		case js.Option:
			jopts = append(jopts, o)
		default:
			t.Fatalf("newJS: option of type %T", o)
		}
	}
	s := harness.RunServer(t, sopts...)
	nc := connect(t, s.ClientURL())
	j, err := js.New(nc, jopts...)
	require.NoError(t, err)
	t.Cleanup(j.Close)
	return s, nc, j
}

// addStream creates a file stream named name on subjects.
func addStream(t testing.TB, j *js.JetStream, name string, subjects ...string) *js.StreamInfo {
	t.Helper()
	si, err := j.CreateStream(testCtx(t, 10*time.Second), js.StreamConfig{Name: name, Subjects: subjects})
	require.NoError(t, err)
	return si
}
