package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// Found by the chaos campaign (docs/reliability.md): while a write to a key is in
// flight at the bucket's leader (proposed, not yet stored: here its routes are cut, so
// it has no quorum), nats-server refuses an Update of that key with err_code 10164
// ("wrong last sequence", no number) even when the expected revision is the current
// one; if the write in flight is then never stored, the refusal was not about the
// revision at all. kv reports it as ErrWrongRevision; the server's 10164 must stay in
// the chain so a caller (and the campaign's checker) can tell it from a stale
// revision (10071), and the revision must still be current afterwards.
func TestKVUpdateRefusedWhileAWriteIsInFlight(t *testing.T) {
	c := harness.RunCluster(t, 3, harness.WithJetStream(), harness.WithRouteProxies())
	ctx := testCtx(t, time.Minute)
	s0 := newStoreOn(t, connect(t, c.ClientURLs()[0], core.WithServers(c.ClientURLs()...)))
	b0, err := s0.Create(ctx, kv.Config{Bucket: "INFLIGHT", Replicas: 3})
	require.NoError(t, err)
	rev, err := b0.Put(ctx, "k", []byte("v1"))
	require.NoError(t, err)
	st, err := s0.JetStream().StreamInfo(ctx, "KV_INFLIGHT")
	require.NoError(t, err)
	leader := -1
	for i, s := range c.Servers() {
		if s.Info().Name == st.Cluster.Leader {
			leader = i
		}
	}
	require.GreaterOrEqual(t, leader, 0)

	// Clients of the leader alone; its routes cut, so nothing it proposes commits.
	s := newStoreOn(t, connect(t, c.ClientURLs()[leader], core.WithIgnoreDiscoveredServers()), js.WithTimeout(time.Second))
	b, err := s.Bucket(ctx, "INFLIGHT")
	require.NoError(t, err)
	c.IsolateNode(leader, (*harness.Proxy).Cut)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	_, err = b.Put(pctx, "k", []byte("in flight"))
	cancel()
	require.Error(t, err, "no quorum: the put cannot be acknowledged")

	_, err = b.Update(ctx, "k", []byte("v2"), rev)
	require.ErrorIs(t, err, kv.ErrWrongRevision)
	require.ErrorIs(t, err, kv.ErrWriteInFlight, "told apart from a stale revision")
	var apiErr *js.APIError
	require.True(t, errors.As(err, &apiErr), "the server's error stays in the chain: %v", err)
	assert.EqualValues(t, 10164, apiErr.ErrCode, "refused for the write in flight, not for the revision")

	c.HealRoutes()
	hctx, hcancel := context.WithTimeout(ctx, 30*time.Second)
	defer hcancel()
	require.NoError(t, c.WaitJetStreamReady(hctx))
	require.Eventually(t, func() bool {
		e, err := b0.Get(ctx, "k")
		return err == nil && e.Revision >= rev
	}, 20*time.Second, 100*time.Millisecond)
}
