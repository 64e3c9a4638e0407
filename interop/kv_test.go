package interop

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// kvPair connects a Starling Store and a nats.go JetStream to one server.
func kvPair(t *testing.T) (*kv.Store, jetstream.JetStream) {
	s := harness.RunServer(t, harness.WithJetStream())
	sj, err := js.New(connectStarling(t, s.ClientURL()))
	require.NoError(t, err)
	t.Cleanup(sj.Close)
	store, err := kv.New(sj)
	require.NoError(t, err)
	nj, err := jetstream.New(connectNats(t, s.ClientURL()))
	require.NoError(t, err)
	return store, nj
}

// The same bucket settings give the same stream config from both clients,
// so either can open, update and read the other's buckets.
func TestKVSameStreamConfig(t *testing.T) {
	store, nj := kvPair(t)
	ctx := testCtx(t)
	_, err := nj.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: "NG", Description: "d", History: 7, TTL: time.Hour, MaxValueSize: 512, MaxBytes: 1 << 20,
		Compression: true, LimitMarkerTTL: 2 * time.Second, Metadata: map[string]string{"m": "1"},
	})
	require.NoError(t, err)
	_, err = store.Create(ctx, kv.Config{
		Bucket: "ST", Description: "d", History: 7, TTL: time.Hour, MaxValueSize: 512, MaxBytes: 1 << 20,
		Compression: true, LimitMarkerTTL: 2 * time.Second, Metadata: map[string]string{"m": "1"},
	})
	require.NoError(t, err)
	ng, err := store.Status(ctx, "NG")
	require.NoError(t, err)
	st, err := store.Status(ctx, "ST")
	require.NoError(t, err)
	a, b := ng.Info.Config, st.Info.Config
	assert.Equal(t, []string{"$KV.NG.>"}, a.Subjects)
	a.Name, a.Subjects, b.Name, b.Subjects = "", nil, "", nil
	// The server adds its own _nats metadata to both.
	assert.Equal(t, a, b)
}

// A bucket nats.go made and writes is read, listed and watched by
// Starling: values, deletes, purges, per-key TTLs and the server's
// markers.
func TestKVNatsBucketUsedByStarling(t *testing.T) {
	store, nj := kvPair(t)
	ctx := testCtx(t)
	nkv, err := nj.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "fromgo", History: 5, LimitMarkerTTL: time.Second})
	require.NoError(t, err)
	r1, err := nkv.Put(ctx, "a.b", []byte("1"))
	require.NoError(t, err)
	_, err = nkv.Put(ctx, "a.b", []byte("2"))
	require.NoError(t, err)
	_, err = nkv.Put(ctx, "c", []byte("3"))
	require.NoError(t, err)
	_, err = nkv.Put(ctx, "gone", []byte("x"))
	require.NoError(t, err)
	require.NoError(t, nkv.Delete(ctx, "gone"))
	_, err = nkv.Put(ctx, "purged", []byte("x"))
	require.NoError(t, err)
	require.NoError(t, nkv.Purge(ctx, "purged"))

	b, err := store.Bucket(ctx, "fromgo")
	require.NoError(t, err)
	st, err := b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), st.History)
	assert.Equal(t, time.Second, st.LimitMarkerTTL)

	e, err := b.Get(ctx, "a.b")
	require.NoError(t, err)
	assert.Equal(t, "2", string(e.Value))
	e, err = b.GetRevision(ctx, "a.b", r1)
	require.NoError(t, err)
	assert.Equal(t, "1", string(e.Value))
	var de *kv.DeletedError
	_, err = b.Get(ctx, "gone")
	require.ErrorAs(t, err, &de)
	assert.Equal(t, kv.OpDelete, de.Op)
	_, err = b.Get(ctx, "purged")
	require.ErrorAs(t, err, &de)
	assert.Equal(t, kv.OpPurge, de.Op)

	var keys []string
	for k, err := range b.Keys(ctx) {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	assert.Equal(t, []string{"a.b", "c"}, keys)
	var hist []string
	for e, err := range b.History(ctx, "a.b") {
		require.NoError(t, err)
		hist = append(hist, string(e.Value))
	}
	assert.Equal(t, []string{"1", "2"}, hist)

	// Starling watches what nats.go writes, a per-key TTL and the
	// server's marker when it expires included.
	w, err := b.WatchAll(ctx, kv.UpdatesOnly())
	require.NoError(t, err)
	defer w.Stop()
	_, err = nkv.Create(ctx, "ttl", []byte("brief"), jetstream.KeyTTL(time.Second))
	require.NoError(t, err)
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ttl", e.Key)
	assert.Equal(t, kv.OpPut, e.Operation)
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ttl", e.Key)
	assert.Equal(t, kv.OpPurge, e.Operation)
	assert.Equal(t, "MaxAge", e.MarkerReason)
	require.NoError(t, nkv.Delete(ctx, "c"))
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, kv.OpDelete, e.Operation)
	require.NoError(t, nkv.Purge(ctx, "a.b", jetstream.PurgeTTL(time.Second)))
	e, err = w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, kv.OpPurge, e.Operation)
	assert.Empty(t, e.MarkerReason, "a client's purge is no server marker")

	// A nats.go Create over Starling's delete marker, and the reverse.
	require.NoError(t, b.Delete(ctx, "gone2"))
	_, err = nkv.Create(ctx, "gone2", []byte("back"))
	require.NoError(t, err)
	_, err = b.Create(ctx, "gone", []byte("back"))
	require.NoError(t, err)
	ne, err := nkv.Get(ctx, "gone")
	require.NoError(t, err)
	assert.Equal(t, "back", string(ne.Value()))

	var names []string
	for n, err := range store.Names(ctx) {
		require.NoError(t, err)
		names = append(names, n)
	}
	assert.Equal(t, []string{"fromgo"}, names)
}

// A bucket Starling made and writes is read, listed and watched by
// nats.go.
func TestKVStarlingBucketUsedByNats(t *testing.T) {
	store, nj := kvPair(t)
	ctx := testCtx(t)
	b, err := store.Create(ctx, kv.Config{Bucket: "fromst", History: 5, LimitMarkerTTL: time.Second})
	require.NoError(t, err)
	nkv, err := nj.KeyValue(ctx, "fromst")
	require.NoError(t, err)
	st, err := nkv.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), st.History())
	assert.Equal(t, time.Second, st.LimitMarkerTTL())

	// nats.go's watcher sees Starling's writes.
	nw, err := nkv.WatchAll(ctx)
	require.NoError(t, err)
	defer func() { _ = nw.Stop() }()
	next := func() jetstream.KeyValueEntry {
		t.Helper()
		select {
		case e := <-nw.Updates():
			return e
		case <-time.After(testTimeout):
			t.Fatal("nats.go watcher got nothing")
			return nil
		}
	}
	assert.Nil(t, next(), "nats.go's end of initial data on an empty bucket")

	expect := func(key string, op jetstream.KeyValueOp, val string) {
		t.Helper()
		e := next()
		require.NotNil(t, e)
		assert.Equal(t, key, e.Key())
		assert.Equal(t, op, e.Operation(), key)
		assert.Equal(t, val, string(e.Value()))
	}
	r1, err := b.Put(ctx, "a.b", []byte("1"))
	require.NoError(t, err)
	expect("a.b", jetstream.KeyValuePut, "1")
	r2, err := b.Update(ctx, "a.b", []byte("2"), r1)
	require.NoError(t, err)
	expect("a.b", jetstream.KeyValuePut, "2")
	require.NoError(t, b.Delete(ctx, "a.b", kv.LastRevision(r2)))
	expect("a.b", jetstream.KeyValueDelete, "")
	// A purge rolls up the key's earlier entries: a consumer that has not
	// delivered them yet never will, so the put is awaited first.
	_, err = b.Put(ctx, "p", []byte("x"))
	require.NoError(t, err)
	expect("p", jetstream.KeyValuePut, "x")
	require.NoError(t, b.Purge(ctx, "p", kv.KeyTTL(time.Second)))
	expect("p", jetstream.KeyValuePurge, "")
	_, err = b.Create(ctx, "ttl", []byte("brief"), kv.KeyTTL(time.Second))
	require.NoError(t, err)
	expect("ttl", jetstream.KeyValuePut, "brief")
	// The per-key TTL expires; nats.go sees the server's marker as a
	// purge, and so does Starling's Get.
	e := next()
	assert.Equal(t, "ttl", e.Key())
	assert.Equal(t, jetstream.KeyValuePurge, e.Operation())
	_, err = b.Get(ctx, "ttl")
	assert.ErrorIs(t, err, kv.ErrKeyDeleted)

	_, err = nkv.Get(ctx, "a.b")
	assert.True(t, errors.Is(err, jetstream.ErrKeyNotFound))
	ne, err := nkv.GetRevision(ctx, "a.b", r1)
	require.NoError(t, err)
	assert.Equal(t, "1", string(ne.Value()))
	hist, err := nkv.History(ctx, "a.b")
	require.NoError(t, err)
	assert.Len(t, hist, 3)

	_, err = b.Put(ctx, "k1", []byte("v"))
	require.NoError(t, err)
	keys, err := nkv.Keys(ctx)
	require.NoError(t, err)
	slices.Sort(keys)
	assert.Equal(t, []string{"k1"}, keys)

	// nats.go's CAS refuses a stale revision from Starling's view, and
	// Starling's refuses nats.go's.
	e1, err := b.Get(ctx, "k1")
	require.NoError(t, err)
	_, err = nkv.Update(ctx, "k1", []byte("v2"), e1.Revision)
	require.NoError(t, err)
	_, err = b.Update(ctx, "k1", []byte("v3"), e1.Revision)
	assert.ErrorIs(t, err, kv.ErrWrongRevision)
}
