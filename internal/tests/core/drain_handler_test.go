package core_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// drainFromHandler runs one handler case: a subscription (owned or
// borrowed) whose handler, at the first of n messages, drains its
// subscription or its whole Conn with context.Background(). Drain used to
// wait for the very handler that called it (owned), or for a PONG that only
// the blocked reader could read (borrowed): it never returned. Now it
// starts the drain and returns; every message the server sent before the
// drain is still handled, and Done or Closed fire.
func drainFromHandler(t *testing.T, borrowed, whole bool) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	pub := connect(t, s.ClientURL())
	const n = 50
	var handled atomic.Int32
	returned := make(chan error, 1)
	var sub *core.Subscription
	// The handler drains once the server has taken all n publishes, so
	// they all reach the subscription before the server sees the UNSUB.
	published := make(chan struct{})
	drain := func() {
		<-published
		var err error
		if whole {
			err = nc.Drain(context.Background())
		} else {
			err = sub.Drain(context.Background())
		}
		returned <- err
	}
	var err error
	if borrowed {
		sub, err = nc.SubscribeBorrowed("dh", func(m *core.BorrowedMsg) {
			if handled.Add(1) == 1 {
				drain()
			}
		})
	} else {
		sub, err = nc.Subscribe("dh", func(m *core.Msg) {
			if handled.Add(1) == 1 {
				drain()
			}
			time.Sleep(100 * time.Microsecond) // later messages wait in the queue
		})
	}
	require.NoError(t, err)
	flush(t, nc)
	for i := 0; i < n; i++ {
		require.NoError(t, pub.Publish("dh", []byte(itoa(i))))
	}
	flush(t, pub)
	close(published)

	select {
	case err := <-returned:
		require.NoError(t, err, "Drain from a handler starts the drain")
	case <-time.After(5 * time.Second):
		t.Fatal("Drain called from a handler did not return")
	}
	select {
	case <-sub.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the drain started from the handler never finished")
	}
	if whole {
		select {
		case <-nc.Closed():
		case <-time.After(5 * time.Second):
			t.Fatal("the Conn drained from a handler never closed")
		}
		assert.NoError(t, nc.Err())
	}
	// Every message the server took before the handler drained was sent
	// to the subscription before the server saw the UNSUB, and is handled.
	assert.Equal(t, int32(n), handled.Load())
}

func TestDrainFromHandler(t *testing.T) {
	for _, c := range []struct {
		name            string
		borrowed, whole bool
	}{
		{"owned/subscription", false, false},
		{"owned/conn", false, true},
		{"borrowed/subscription", true, false},
		{"borrowed/conn", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			drainFromHandler(t, c.borrowed, c.whole)
		})
	}
}

// TestDrainOutsideHandlerStillWaits checks the other side of the rule: a
// Drain called beside running handlers (not from one) still returns only
// once the drain is complete.
func TestDrainOutsideHandlerStillWaits(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	pub := connect(t, s.ClientURL())
	var handled atomic.Int32
	sub, err := nc.Subscribe("dw", func(*core.Msg) {
		time.Sleep(2 * time.Millisecond)
		handled.Add(1)
	})
	require.NoError(t, err)
	flush(t, nc)
	const n = 40
	for i := 0; i < n; i++ {
		require.NoError(t, pub.Publish("dw", nil))
	}
	flush(t, pub)
	require.Eventually(t, func() bool { return handled.Load() > 0 }, 5*time.Second, time.Millisecond)
	require.NoError(t, sub.Drain(testCtx(t, 10*time.Second)))
	assert.Equal(t, int32(n), handled.Load(), "Drain returned before the handler finished the queue")
	recv(t, sub.Done())
}
