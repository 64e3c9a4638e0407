package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// knows reports how many client URLs node i gossips: itself plus every peer it has a
// route to.
func knows(t *testing.T, c *harness.Cluster, i int) int {
	return len(connectURLs(t, c.Server(i).Addr()))
}

func TestClusterRouteProxiesIsolateAndHeal(t *testing.T) {
	t.Parallel()
	c := harness.RunCluster(t, 3, harness.WithRouteProxies(), harness.WithName("rp"))
	for i := range 3 {
		require.Equal(t, 3, knows(t, c, i), "node %d routed through the proxies", i)
		for j := range 3 {
			if i != j {
				p := c.RouteProxy(i, j)
				require.NotNil(t, p)
				assert.Equal(t, c.Server(j).Info().ClusterPort, portOf(t, p.Target()), "proxy %d->%d reaches node %d", i, j, j)
				assert.Len(t, c.RouteProxiesBetween(i, j), 2)
			}
		}
	}
	assert.Positive(t, c.RouteProxy(0, 1).Links()+c.RouteProxy(1, 0).Links(), "the route 0-1 runs through its proxies")

	c.IsolateNode(0, (*harness.Proxy).Cut)
	require.Eventually(t, func() bool { return knows(t, c, 0) == 1 && knows(t, c, 1) == 2 && knows(t, c, 2) == 2 },
		10*time.Second, 50*time.Millisecond, "node 0 is cut off; 1 and 2 keep their route")
	// A restarted peer forms new routes and gossips route addresses; the isolation
	// holds through it.
	c.RestartNode(2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.Eventually(t, func() bool { return knows(t, c, 1) == 2 && knows(t, c, 2) == 2 }, 10*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, 1, knows(t, c, 0), "node 0 stays cut off")

	c.HealRoutes()
	require.NoError(t, c.WaitRoutes(ctx))
	require.Eventually(t, func() bool { return knows(t, c, 0) == 3 }, 10*time.Second, 50*time.Millisecond)
}

func TestClusterPartitionRoutesGroups(t *testing.T) {
	t.Parallel()
	c := harness.RunCluster(t, 3, harness.WithRouteProxies())
	// Node 2 named in no group is a group of its own: three singletons.
	c.PartitionRoutes((*harness.Proxy).Blackhole, []int{0}, []int{1})
	for i := range 3 {
		assert.Equal(t, harness.ProxyBlackholed, c.RouteProxy(i, (i+1)%3).Mode())
	}
	c.HealRoutes()
	c.PartitionRoutes((*harness.Proxy).Cut, []int{0, 1})
	require.Eventually(t, func() bool { return knows(t, c, 0) == 2 && knows(t, c, 1) == 2 && knows(t, c, 2) == 1 },
		10*time.Second, 50*time.Millisecond, "0 and 1 stay together, 2 is alone")
	assert.Equal(t, harness.ProxyForwarding, c.RouteProxy(0, 1).Mode())
	c.HealRoutes()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.WaitRoutes(ctx))
}

func TestClusterWithoutRouteProxies(t *testing.T) {
	t.Parallel()
	c := harness.RunCluster(t, 2)
	assert.Nil(t, c.RouteProxy(0, 1))
	assert.Nil(t, c.RouteProxiesBetween(0, 1))
	c.IsolateNode(0, (*harness.Proxy).Cut) // nothing to act on
	assert.Equal(t, 2, knows(t, c, 0))
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	return wsPortOf(t, "nats://"+addr)
}
