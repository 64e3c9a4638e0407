package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// TestStatusNeverLeavesClosed races Close against Drain, ForceReconnect and
// the session losses they cause, over and over, and checks that a closed
// Conn stays closed. Each transition used to be a check followed by a
// store, so a Drain or a reconnect that had checked before Close stored its
// status after it: a Conn whose Closed channel had fired reported itself
// draining or reconnecting for ever.
func TestStatusNeverLeavesClosed(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	const rounds = 800
	for r := 0; r < rounds; r++ {
		nc, err := core.Connect(testCtx(t, 10*time.Second), s.ClientURL(), core.WithReconnectWait(time.Millisecond, 5*time.Millisecond))
		require.NoError(t, err)
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = nc.Drain(ctx)
		}()
		go func() {
			defer wg.Done()
			<-start
			_ = nc.ForceReconnect()
		}()
		go func() {
			defer wg.Done()
			<-start
			nc.Close()
		}()
		close(start)
		wg.Wait()
		select {
		case <-nc.Closed():
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the Conn did not shut down; status %v", r, nc.Status())
		}
		require.Equal(t, core.StatusClosed, nc.Status(), "round %d: the Conn left closed", r)
		require.True(t, nc.IsClosed())
		require.False(t, nc.IsDraining())
	}
}
