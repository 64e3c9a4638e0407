package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// A blackholed link (bytes accepted, nothing answered) is detected as stale
// within PingInterval × (MaxPingsOut + 1), and the client reconnects through
// another path to the same server.
func TestSessionStaleLinkThroughBlackhole(t *testing.T) {
	s := harness.RunServer(t)
	p := harness.NewProxy(t, s.Addr())
	const interval, maxOut = 100 * time.Millisecond, 2
	log := newSessionLog()
	nc := connect(t, p.URL(), append(fastReconnect(), log.option(),
		core.WithServers(s.ClientURL()), core.WithDontRandomize(),
		core.WithPingInterval(interval), core.WithMaxPingsOut(maxOut))...)
	require.Equal(t, p.URL(), nc.ConnectedURL())
	sub, err := nc.SubscribeSync("stale")
	require.NoError(t, err)
	flush(t, nc)

	p.Blackhole()
	holed := time.Now()
	ev, at := log.waitN(t, core.EventDisconnected, 1, 5*time.Second)
	require.ErrorIs(t, ev.Err, core.ErrStaleConnection)
	took := at.Sub(holed)
	t.Logf("stale link detected after %v (bound %v)", took, interval*(maxOut+1))
	// Timer ticks and event delivery add a little to the bound.
	assert.Less(t, took, interval*(maxOut+1)+50*time.Millisecond)

	log.waitN(t, core.EventReconnected, 1, 5*time.Second)
	assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
	require.NoError(t, nc.Publish("stale", []byte("direct")))
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "direct", string(m.Data))
}

// -ERR 'Stale Connection' from the server (it sends it when our PONGs stop
// arriving) ends the session and the client reconnects.
func TestSessionServerDeclaresStale(t *testing.T) {
	s := harness.RunServer(t, harness.WithConfig("ping_interval: \"100ms\"\nping_max: 1"))
	p := harness.NewProxy(t, s.Addr())
	log := newSessionLog()
	nc := connect(t, p.URL(), append(fastReconnect(), log.option(),
		core.WithServers(s.ClientURL()), core.WithDontRandomize())...)
	flush(t, nc)
	// Delay, not blackhole: the server's PINGs reach us late, our PONGs
	// reach it too late, and it gives up on us first.
	p.Delay(time.Second)
	ev, _ := log.waitN(t, core.EventDisconnected, 1, 10*time.Second)
	t.Logf("disconnected: %v", ev.Err)
	log.waitN(t, core.EventReconnected, 1, 10*time.Second)
	assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
}
