package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// connectURLs returns the client URLs a server gossips in its INFO.
func connectURLs(t testing.TB, addr string) []any {
	t.Helper()
	rc, err := dialRaw(addr, dialOpts{})
	require.NoError(t, err)
	defer rc.Close()
	urls, _ := rc.info["connect_urls"].([]any)
	return urls
}

func TestClusterJetStreamR3SurvivesNodeLoss(t *testing.T) {
	t.Parallel()
	c := harness.RunCluster(t, 3, harness.WithJetStream(), harness.WithName("js"))
	require.Len(t, c.Servers(), 3)
	require.Len(t, c.ClientURLs(), 3)
	for i, s := range c.Servers() {
		inf := s.Info()
		assert.Equal(t, "js", inf.ClusterName)
		assert.Equal(t, "js-"+string(rune('1'+i)), inf.Name)
		assert.NotZero(t, inf.ClusterPort)
		assert.Len(t, connectURLs(t, s.Addr()), 3, "every node knows the whole cluster")
	}

	rc := connectRaw(t, c.Server(0).Addr(), nil)
	createStream(t, rc, "R3", 3)
	publish(t, rc, "R3.x", "kept")
	var si struct {
		Cluster struct {
			Leader   string `json:"leader"`
			Replicas []any  `json:"replicas"`
		} `json:"cluster"`
	}
	require.NoError(t, rc.jsRequest("$JS.API.STREAM.INFO.R3", nil, &si))
	rc.Close()
	require.Len(t, si.Cluster.Replicas, 2, "three copies of the stream")

	// Stop the stream's leader: the two others elect a new one and keep answering.
	leader := -1
	for i, s := range c.Servers() {
		if s.Info().Name == si.Cluster.Leader {
			leader = i
		}
	}
	require.GreaterOrEqual(t, leader, 0, "leader %q is a node", si.Cluster.Leader)
	c.StopNode(leader)
	other := c.Server((leader + 1) % 3)
	rc = connectRaw(t, other.Addr(), nil)
	defer rc.Close()
	rc.reqTimeout = time.Second
	require.Eventually(t, func() bool {
		n, err := streamMsgsErr(rc, "R3")
		return err == nil && n == 1
	}, 20*time.Second, 100*time.Millisecond, "the R3 stream answers with one node down")

	c.RestartNode(leader)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.WaitRoutes(ctx))
	require.NoError(t, c.WaitJetStreamReady(ctx))
	rc2 := connectRaw(t, c.Server(leader).Addr(), nil)
	defer rc2.Close()
	assert.EqualValues(t, 1, streamMsgs(t, rc2, "R3"))
}

func TestClusterProcessKillRejoins(t *testing.T) {
	t.Parallel()
	c := harness.RunCluster(t, 3, harness.WithProcess(), harness.WithTLS())
	for _, s := range c.Servers() {
		assert.Len(t, connectURLs(t, s.Addr()), 3)
		assert.Same(t, c.Server(0).TLS(), s.TLS(), "one CA for the whole cluster")
	}
	// A client trusting the shared CA talks TLS to any node.
	rc, err := dialRaw(c.Server(2).Addr(), dialOpts{tls: c.Server(0).TLS().ClientConfig()})
	require.NoError(t, err)
	require.NoError(t, rc.connect(nil))
	rc.Close()
	c.Server(1).Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.Eventually(t, func() bool { return len(connectURLs(t, c.Server(0).Addr())) == 2 }, 10*time.Second, 50*time.Millisecond,
		"the others notice the node is gone")
	c.RestartNode(1)
	require.NoError(t, c.WaitRoutes(ctx))
	require.Eventually(t, func() bool { return len(connectURLs(t, c.Server(0).Addr())) == 3 }, 10*time.Second, 50*time.Millisecond)
}
