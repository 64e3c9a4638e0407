package obj_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

// processJS starts a server in its own process, to be killed, restarted
// or frozen, and a connection that reconnects quickly.
func processJS(t *testing.T) (*harness.Server, *js.JetStream) {
	t.Helper()
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	_, j := connectJS(t, s.ClientURL(), core.WithMaxReconnects(-1), core.WithReconnectWait(50*time.Millisecond, 200*time.Millisecond))
	return s, j
}

// hookReader calls hook once after at bytes have been read.
type hookReader struct {
	r    io.Reader
	at   int
	n    int
	once sync.Once
	hook func()
}

func (h *hookReader) Read(b []byte) (int, error) {
	if h.n >= h.at {
		h.once.Do(h.hook)
	}
	k, err := h.r.Read(b)
	h.n += k
	return k, err
}

// §5 of the issue: the server restarts while a put streams. The put
// either fails, with its partial chunks purged and the old version
// intact, or (if every chunk and the meta made it) succeeds with the new
// bytes verified. Never a mix.
func TestProcessRestartDuringPut(t *testing.T) {
	s, j := processJS(t)
	ctx := testCtx(t, 2*time.Minute)
	st := newStore(t, j, "restartput")
	old := randomBytes(300_000, 1)
	_, err := st.PutBytes(ctx, "o", old)
	require.NoError(t, err)

	data := randomBytes(16<<20, 2)
	r := &hookReader{r: bytes.NewReader(data), at: 4 << 20, hook: func() {
		s.Kill()
		go func() { time.Sleep(300 * time.Millisecond); s.Restart() }()
	}}
	info, err := st.Put(ctx, obj.Meta{Name: "o"}, r)
	// Wait for the server before checking what it holds.
	require.NoError(t, s.WaitJetStreamReady(ctx))
	got, gerr := st.GetBytes(ctx, "o")
	require.NoError(t, gerr)
	if err != nil {
		t.Logf("put failed as allowed: %v", err)
		assert.True(t, bytes.Equal(old, got), "the old version is intact")
		assert.Eventually(t, func() bool {
			si, err := j.StreamInfo(ctx, "OBJ_restartput")
			return err == nil && si.State.Msgs == 4 // the old version's 3 chunks and meta
		}, 20*time.Second, 100*time.Millisecond, "the partial chunks are purged")
		return
	}
	t.Logf("put survived the restart: %d chunks", info.Chunks)
	assert.True(t, bytes.Equal(data, got), "the new version, verified")
}

// The server restarts while a reader streams: the reader recreates its
// consumer after the last chunk it read and finishes with the right,
// verified bytes, or returns a typed error; never wrong bytes.
func TestProcessRestartDuringGet(t *testing.T) {
	s, j := processJS(t)
	ctx := testCtx(t, 2*time.Minute)
	st := newStore(t, j, "restartget")
	data := randomBytes(8<<20, 3)
	_, err := st.PutBytes(ctx, "big", data)
	require.NoError(t, err)

	r, err := st.Get(ctx, "big", obj.WithGetWindow(2), obj.WithHeartbeat(200*time.Millisecond))
	require.NoError(t, err)
	defer r.Close()
	var got bytes.Buffer
	_, err = io.CopyN(&got, r, 2<<20)
	require.NoError(t, err)
	s.Kill()
	time.Sleep(300 * time.Millisecond)
	s.Restart()
	_, err = io.Copy(&got, r)
	if err != nil {
		t.Logf("read ended with %v", err)
		assert.True(t, errors.Is(err, obj.ErrReaderStalled) || errors.Is(err, context.DeadlineExceeded), "typed: %v", err)
		assert.True(t, bytes.Equal(data[:got.Len()], got.Bytes()), "what was read is right")
		return
	}
	assert.True(t, bytes.Equal(data, got.Bytes()), "resumed to the verified end")
}

// nats.go #1848: a get against a server that stops answering. The
// reader's context ends the read, Close returns, and no goroutine is
// left (goleak in TestMain).
func TestFrozenServerDuringGet(t *testing.T) {
	s, j := processJS(t)
	ctx := testCtx(t, 2*time.Minute)
	st := newStore(t, j, "frozen")
	data := randomBytes(8<<20, 4)
	_, err := st.PutBytes(ctx, "big", data)
	require.NoError(t, err)

	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r, err := st.Get(rctx, "big", obj.WithGetWindow(2))
	require.NoError(t, err)
	var got bytes.Buffer
	_, err = io.CopyN(&got, r, 1<<20)
	require.NoError(t, err)
	s.Freeze()
	defer s.Thaw()
	start := time.Now()
	_, err = io.Copy(&got, r)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.True(t, bytes.Equal(data[:got.Len()], got.Bytes()))
	closeStart := time.Now()
	require.NoError(t, r.Close())
	assert.Less(t, time.Since(closeStart), 5*time.Second, "Close is bounded")
	s.Thaw()
	// Once the server is back, the consumer is gone (deleted by Close or
	// by its inactive threshold).
	assert.Eventually(t, func() bool { return consumerCount(t, j, "frozen") == 0 }, 45*time.Second, 200*time.Millisecond)
}
