package js_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// Found by the chaos campaign (seed 20261130): a publish with a MsgID times out while
// the stream leader cannot reach a quorum, the republish reaches the leader while the
// first attempt is still being stored, and the server answers 409 "duplicate message
// id is in process" (err_code 10158). That is not a refusal: the first attempt is
// stored once the quorum is back. Publish must keep republishing until the duplicate
// window answers with the stored copy's ack, not return the 409 as a failure.
func TestPublishMsgIDInProcessIsNotARefusal(t *testing.T) {
	c := harness.RunCluster(t, 3, harness.WithJetStream(), harness.WithRouteProxies())
	ctx := testCtx(t, time.Minute)
	nc0 := connect(t, c.ClientURLs()[0], core.WithServers(c.ClientURLs()...))
	j0, err := js.New(nc0)
	require.NoError(t, err)
	si, err := j0.CreateStream(ctx, js.StreamConfig{Name: "INPROC", Subjects: []string{"inproc"}, Replicas: 3})
	require.NoError(t, err)
	leader := -1
	for i, s := range c.Servers() {
		if s.Info().Name == si.Cluster.Leader {
			leader = i
		}
	}
	require.GreaterOrEqual(t, leader, 0)

	// The publisher talks to the leader alone; the leader's routes hold every byte, so
	// its proposal cannot commit until they heal.
	nc := connect(t, c.ClientURLs()[leader], core.WithIgnoreDiscoveredServers())
	j, err := js.New(nc)
	require.NoError(t, err)
	c.IsolateNode(leader, (*harness.Proxy).Blackhole)
	healed := time.AfterFunc(1500*time.Millisecond, c.HealRoutes)
	defer healed.Stop()

	ack, err := j.Publish(ctx, "inproc", []byte("once"), js.MsgID("inproc-1"), js.AckWait(400*time.Millisecond))
	require.NoError(t, err, "an in-process duplicate is the first attempt still being stored")
	info, err := j0.StreamInfo(ctx, "INPROC")
	require.NoError(t, err)
	assert.EqualValues(t, 1, info.State.Msgs, "stored once")
	m, err := j0.GetMsg(ctx, "INPROC", ack.Sequence)
	require.NoError(t, err)
	assert.Equal(t, "once", string(m.Data))
}
