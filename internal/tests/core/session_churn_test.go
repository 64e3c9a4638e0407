package core_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// 200 forced reconnects in a loop leave goroutines and heap where they were.
// The server runs as a process so that only the client's heap is measured.
func TestSessionForcedReconnectChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("churn test skipped in -short mode")
	}
	s := harness.RunServer(t, harness.WithProcess())
	// Events are counted, not kept, and one context serves every cycle:
	// the test must not grow the heap it measures.
	reconnected := make(chan struct{}, 1)
	nc := connect(t, s.ClientURL(), append(fastReconnect(), core.WithEventHandler(func(ev core.Event) {
		if ev.Kind == core.EventReconnected {
			reconnected <- struct{}{}
		}
	}))...)
	for i := range 10 {
		_, err := nc.Subscribe("churn."+string(rune('a'+i)), func(*core.Msg) {})
		require.NoError(t, err)
	}
	_, err := nc.SubscribeBorrowed("churn.echo", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	require.NoError(t, err)
	ctx := testCtx(t, time.Minute)
	data := []byte("x")

	cycle := func(int) {
		require.NoError(t, nc.ForceReconnect())
		select {
		case <-reconnected:
		case <-ctx.Done():
			t.Fatal("no reconnect")
		}
		_, err := nc.Request(ctx, "churn.echo", data)
		require.NoError(t, err)
	}
	measure := func() (int, uint64) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	const warm, total = 20, 200
	for i := 1; i <= warm; i++ {
		cycle(i)
	}
	g0, h0 := measure()
	for i := warm + 1; i <= total; i++ {
		cycle(i)
	}
	// Let the last event deliverer and handler goroutines wind down.
	time.Sleep(50 * time.Millisecond)
	g1, h1 := measure()
	t.Logf("after %d forced reconnects: goroutines %d → %d, live heap %d KiB → %d KiB", total-warm, g0, g1, h0>>10, h1>>10)
	assert.LessOrEqual(t, g1, g0+2, "goroutines grew across reconnects")
	assert.Less(t, int64(h1)-int64(h0), int64(256<<10), "live heap grew by more than 256 KiB across reconnects")
	assert.EqualValues(t, total, nc.Stats().Reconnects)
}

// Credentials revoked between reconnects: the server closes the user's
// connection and refuses the next ones; the Conn reports the authorization
// failures, stops trying that server after a bounded number of tries, and
// never spins.
func TestSessionAuthRevokedBetweenReconnects(t *testing.T) {
	// A process: an auth reload that drops clients races inside nats-server
	// (createClientEx against sendAuthErrorEvent), which the race detector would
	// report against this test in-process.
	s := harness.RunServer(t, harness.WithOperator(), harness.WithProcess())
	user, err := s.Operator().NewUser("revoked")
	require.NoError(t, err)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option(), core.WithCredentialsFile(user.CredsFile))...)
	flush(t, nc)

	require.NoError(t, s.Operator().RevokeUser(user.PublicKey))
	revoked := time.Now()
	require.NoError(t, s.Reload())

	ev, at := log.waitN(t, core.EventClosed, 1, 10*time.Second)
	require.ErrorIs(t, ev.Err, core.ErrAuthorization, "closed because of: %v", ev.Err)
	require.ErrorIs(t, ev.Err, core.ErrNoServers)
	assert.ErrorIs(t, nc.Err(), core.ErrAuthorization)
	authErrors := 0
	for _, e := range log.all() {
		if e.Kind == core.EventAsyncError {
			require.ErrorIs(t, e.Err, core.ErrAuthorization)
			assert.NotContains(t, e.Err.Error(), string(user.Seed))
			authErrors++
		}
	}
	t.Logf("closed %v after the revocation, with %d reported authorization failures; events %v", at.Sub(revoked), authErrors, kinds(log.all()))
	assert.Equal(t, core.DefaultMaxAuthFailures, authErrors, "tries are bounded by the max auth failures")
}
