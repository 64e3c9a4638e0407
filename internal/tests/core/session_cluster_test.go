package core_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// waitFlow publishes probes on pub until sub's counter moves, so a test
// knows interest has propagated through the cluster's routes.
func waitFlow(t *testing.T, pub *core.Conn, subject string, counter *atomic.Int64) {
	t.Helper()
	start := counter.Load()
	eventually(t, 10*time.Second, func() bool {
		_ = pub.Publish(subject, []byte("probe"))
		_ = pub.Flush(testCtx(t, time.Second))
		return counter.Load() > start
	}, "no message flowed on %s", subject)
}

// Kill (SIGKILL) the node a client uses: it fails over to another node
// within the backoff bound, and its subscription keeps receiving from a
// publisher on another node.
func TestSessionClusterFailoverOnKill(t *testing.T) {
	c := harness.RunCluster(t, 3, harness.WithProcess())
	require.NoError(t, c.WaitRoutes(testCtx(t, 20*time.Second)))
	urls := c.ClientURLs()

	log := newSessionLog()
	// Given only node 0; the others are learned from INFO.
	sub := connect(t, urls[0], append(fastReconnect(), log.option())...)
	pub := connect(t, urls[1], core.WithIgnoreDiscoveredServers())
	var got atomic.Int64
	_, err := sub.Subscribe("failover", func(*core.Msg) { got.Add(1) })
	require.NoError(t, err)
	flush(t, sub)
	waitFlow(t, pub, "failover", &got)
	eventually(t, 5*time.Second, func() bool { return len(sub.ServerPool()) == 3 }, "cluster not discovered: %v", sub.ServerPool())

	killed := time.Now()
	c.Server(0).Kill()
	_, at := log.waitN(t, core.EventReconnected, 1, 10*time.Second)
	took := at.Sub(killed)
	t.Logf("failover took %v", took)
	// The first pass over the pool starts at once and the other nodes
	// answer: well within one connect timeout plus the first backoff.
	assert.Less(t, took, 2*time.Second+200*time.Millisecond)
	assert.NotEqual(t, urls[0], sub.ConnectedURL())

	waitFlow(t, pub, "failover", &got)
	before := got.Load()
	for range 100 {
		require.NoError(t, pub.Publish("failover", []byte("after")))
	}
	flush(t, pub)
	eventually(t, 5*time.Second, func() bool { return got.Load() >= before+100 }, "messages after failover: %d of 100", got.Load()-before)
}

// Lame duck a node: every client on it moves to another node without an
// error, and keeps its subscriptions.
func TestSessionClusterLameDuck(t *testing.T) {
	c := harness.RunCluster(t, 3, harness.WithLameDuck(30*time.Second, 2*time.Second))
	require.NoError(t, c.WaitRoutes(testCtx(t, 20*time.Second)))
	urls := c.ClientURLs()
	pub := connect(t, urls[1], core.WithIgnoreDiscoveredServers())

	const clients = 4
	logs := make([]*sessionLog, clients)
	conns := make([]*core.Conn, clients)
	counts := make([]atomic.Int64, clients)
	for i := range clients {
		logs[i] = newSessionLog()
		conns[i] = connect(t, urls[0], append(fastReconnect(), logs[i].option(), core.WithLameDuckWindow(300*time.Millisecond))...)
		i := i
		_, err := conns[i].Subscribe("ldm", func(*core.Msg) { counts[i].Add(1) })
		require.NoError(t, err)
		flush(t, conns[i])
		waitFlow(t, pub, "ldm", &counts[i])
	}

	go c.Server(0).LameDuck()
	for i := range clients {
		logs[i].waitN(t, core.EventLameDuck, 1, 10*time.Second)
		ev, _ := logs[i].waitN(t, core.EventDisconnected, 1, 10*time.Second)
		assert.NoError(t, ev.Err, "a lame-duck move is no error")
		logs[i].waitN(t, core.EventReconnected, 1, 10*time.Second)
		assert.NotEqual(t, urls[0], conns[i].ConnectedURL())
		assert.Zero(t, logs[i].count(core.EventAsyncError), "events: %v", kinds(logs[i].all()))
		assert.Zero(t, logs[i].count(core.EventClosed))
		waitFlow(t, pub, "ldm", &counts[i])
	}
}

// A client given one URL of a cluster learns the others and survives the
// loss of the one it was given.
func TestSessionClusterDiscovery(t *testing.T) {
	c := harness.RunCluster(t, 3)
	require.NoError(t, c.WaitRoutes(testCtx(t, 20*time.Second)))
	urls := c.ClientURLs()
	log := newSessionLog()
	nc := connect(t, urls[2], append(fastReconnect(), log.option())...)
	eventually(t, 5*time.Second, func() bool { return len(nc.ServerPool()) == 3 }, "pool: %v", nc.ServerPool())
	ev, _ := log.waitN(t, core.EventServersDiscovered, 1, 5*time.Second)
	assert.NotEmpty(t, ev.Servers)

	c.StopNode(2)
	log.waitN(t, core.EventReconnected, 1, 10*time.Second)
	assert.NotEqual(t, urls[2], nc.ConnectedURL())
	r, err := nc.RTT(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Positive(t, r)
}
