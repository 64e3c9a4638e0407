package core_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// A lone Request writes its op itself. When the server takes nothing, that
// write stops at the request's deadline, not at the write timeout, and the
// session survives it: once the server reads again, the rest of the op
// follows the bytes the socket already took, and the server gets it whole.
func TestRequestWriteBoundedByContext(t *testing.T) {
	const size = 256 << 10
	srv := newPipeServer(t)
	srv.buffer = 4 << 10
	paused, resume := make(chan struct{}), make(chan struct{})
	var pauseOnce sync.Once
	var bigLen atomic.Int64
	srv.onOp = func(p *pipePeer, op *codec.ClientOp) {
		if op.Kind != codec.OpPub {
			return
		}
		switch string(op.Subject) {
		case "pause": // the fake stops reading until told
			pauseOnce.Do(func() { close(paused) })
			select {
			case <-resume:
			case <-p.done:
			}
		case "big":
			bigLen.Store(int64(len(op.Payload)))
		}
	}
	log := newSessionLog()
	nc := srv.connect(t, log.option(), core.WithWriteTimeout(20*time.Second))
	// The first request makes the reply subscription, so the next one is a
	// lone op written by the requester itself. Nobody answers on the fake.
	_, err := nc.Request(testCtx(t, 50*time.Millisecond), "nobody", nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, nc.Publish("pause", nil))
	select {
	case <-paused:
	case <-time.After(5 * time.Second):
		t.Fatal("the fake never paused")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = nc.Request(ctx, "big", bytes.Repeat([]byte("x"), size))
	took := time.Since(start)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, took, 2*time.Second, "the request waited for its write past its deadline")

	close(resume)
	flush(t, nc)
	assert.EqualValues(t, size, bigLen.Load(), "the op cut by the deadline did not arrive whole")
	assert.Zero(t, log.count(core.EventDisconnected), "a request's deadline ended the session: %v", kinds(log.all()))
}

func TestWithWriteTimeoutRefusesNonPositive(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		_, err := core.Connect(testCtx(t, time.Second), "nats://127.0.0.1:1", core.WithWriteTimeout(d))
		assert.ErrorIs(t, err, core.ErrInvalidOption, "WithWriteTimeout(%v)", d)
	}
}
