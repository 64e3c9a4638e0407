package kv_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// TestDomain_ReadWriteThroughPrefix uses a server whose JetStream is in
// domain "hub": the bucket is created, written, read and watched through
// $JS.hub.API (protocol-facts §2.1).
func TestDomain_ReadWriteThroughPrefix(t *testing.T) {
	srv := harness.RunServer(t, harness.WithConfig(fmt.Sprintf("jetstream { store_dir: %q, domain: hub }", t.TempDir())))
	nc := connect(t, srv.ClientURL())
	s := newStoreOn(t, nc, js.WithDomain("hub"))
	ctx := testCtx(t, 30*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "dom"})

	rev, err := b.Put(ctx, "k", []byte("v"))
	require.NoError(t, err)
	e, err := b.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, rev, e.Revision)
	_, err = b.Update(ctx, "k", []byte("v2"), rev)
	require.NoError(t, err)
	w, err := b.WatchAll(ctx)
	require.NoError(t, err)
	defer w.Stop()
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "v2", string(e.Value))
	var keys []string
	for k, err := range b.Keys(ctx) {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"k"}, keys)

	// The default prefix reaches the same JetStream on this server.
	plain := newStoreOn(t, nc)
	pb, err := plain.Bucket(ctx, "dom")
	require.NoError(t, err)
	e, err = pb.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v2", string(e.Value))

	// A domain nobody serves answers nothing.
	other := newStoreOn(t, nc, js.WithDomain("nowhere"))
	_, err = other.Bucket(ctx, "dom")
	assert.ErrorIs(t, err, js.ErrNoStreamResponse)
}

// TestDomain_LeafNode reaches a bucket in the hub's domain from a client
// of a leaf node with JetStream domain of its own: reads, writes and
// watches cross the leaf connection through $JS.hub.API.
func TestDomain_LeafNode(t *testing.T) {
	leafPort := freePort(t)
	hub := harness.RunServer(t, harness.WithName("hub"), harness.WithConfig(fmt.Sprintf(
		"jetstream { store_dir: %q, domain: hub }\nleafnodes { listen: \"127.0.0.1:%d\" }", t.TempDir(), leafPort)))
	leaf := harness.RunServer(t, harness.WithName("leaf"), harness.WithConfig(fmt.Sprintf(
		"jetstream { store_dir: %q, domain: leaf }\nleafnodes { remotes: [ { url: \"nats://127.0.0.1:%d\" } ] }", t.TempDir(), leafPort)))
	ctx := testCtx(t, 60*time.Second)

	hs := newStoreOn(t, connect(t, hub.ClientURL()))
	hb := newBucket(t, hs, kv.Config{Bucket: "shared"})
	_, err := hb.Put(ctx, "from.hub", []byte("1"))
	require.NoError(t, err)

	ls := newStoreOn(t, connect(t, leaf.ClientURL()), js.WithDomain("hub"))
	var lb *kv.Bucket
	require.Eventually(t, func() bool { // the leaf connection comes up
		lb, err = ls.Bucket(ctx, "shared")
		return err == nil
	}, 20*time.Second, 100*time.Millisecond)
	e, err := lb.Get(ctx, "from.hub")
	require.NoError(t, err)
	assert.Equal(t, "1", string(e.Value))

	w, err := lb.WatchAll(ctx, kv.UpdatesOnly())
	require.NoError(t, err)
	defer w.Stop()
	rev, err := lb.Put(ctx, "from.leaf", []byte("2"))
	require.NoError(t, err)
	he, err := hb.Get(ctx, "from.leaf")
	require.NoError(t, err)
	assert.Equal(t, rev, he.Revision)
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "from.leaf", e.Key)

	// The leaf's own domain has no such bucket.
	local := newStoreOn(t, connect(t, leaf.ClientURL()))
	_, err = local.Bucket(ctx, "shared")
	assert.ErrorIs(t, err, kv.ErrBucketNotFound)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
