package kv_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// TestValidation_BeforeNetwork: bad names fail with typed errors on a
// closed connection, so nothing was sent.
func TestValidation_BeforeNetwork(t *testing.T) {
	_, nc, s := newStore(t)
	ctx := testCtx(t, 10*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "v"})
	nc.Close()

	_, err := s.Create(ctx, kv.Config{Bucket: "a.b"})
	assert.ErrorIs(t, err, kv.ErrInvalidBucketName)
	_, err = s.Create(ctx, kv.Config{Bucket: "ok", History: 65})
	assert.ErrorIs(t, err, kv.ErrHistoryTooLarge)
	_, err = s.Create(ctx, kv.Config{Bucket: "ok", LimitMarkerTTL: time.Millisecond})
	assert.ErrorIs(t, err, kv.ErrInvalidConfig)
	_, err = s.Bucket(ctx, "")
	assert.ErrorIs(t, err, kv.ErrInvalidBucketName)
	assert.ErrorIs(t, s.Delete(ctx, "a*"), kv.ErrInvalidBucketName)

	for _, k := range []string{"", ".a", "a.", "a..b", "a*", "a>", "a b"} {
		_, err := b.Put(ctx, k, nil)
		assert.ErrorIs(t, err, kv.ErrInvalidKey, k)
		_, err = b.Get(ctx, k)
		assert.ErrorIs(t, err, kv.ErrInvalidKey, k)
		_, err = b.Create(ctx, k, nil)
		assert.ErrorIs(t, err, kv.ErrInvalidKey, k)
		_, err = b.Update(ctx, k, nil, 1)
		assert.ErrorIs(t, err, kv.ErrInvalidKey, k)
		assert.ErrorIs(t, b.Delete(ctx, k), kv.ErrInvalidKey, k)
		assert.ErrorIs(t, b.Purge(ctx, k), kv.ErrInvalidKey, k)
	}
	_, err = b.Create(ctx, "k", nil, kv.KeyTTL(time.Millisecond))
	assert.ErrorIs(t, err, kv.ErrInvalidOption)
	assert.ErrorIs(t, b.Delete(ctx, "k", kv.KeyTTL(time.Second)), kv.ErrInvalidOption)
}

// TestBucket_Lifecycle creates, opens, updates, lists and deletes buckets.
func TestBucket_Lifecycle(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	cfg := kv.Config{
		Bucket: "cfg", Description: "d", History: 5, TTL: time.Hour, MaxValueSize: 1024,
		MaxBytes: 1 << 20, Storage: js.MemoryStorage, Compression: false,
		Metadata:  map[string]string{"team": "kv"},
		RePublish: &js.RePublish{Source: "$KV.cfg.>", Destination: "repub.>"},
	}
	b, err := s.Create(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, "cfg", b.Name())
	assert.Equal(t, "KV_cfg", b.Stream())

	// The same config again opens it; another is ErrBucketExists.
	_, err = s.Create(ctx, cfg)
	require.NoError(t, err)
	other := cfg
	other.History = 6
	_, err = s.Create(ctx, other)
	assert.ErrorIs(t, err, kv.ErrBucketExists)
	assert.ErrorIs(t, err, js.ErrStreamNameInUse)

	st, err := b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "cfg", st.Bucket)
	assert.Equal(t, int64(5), st.History)
	assert.Equal(t, time.Hour, st.TTL)
	assert.Equal(t, "JetStream", st.BackingStore)
	assert.Equal(t, js.MemoryStorage, st.Storage)
	assert.Equal(t, 1, st.Replicas)
	assert.Equal(t, "kv", st.Metadata["team"])
	assert.False(t, st.Compressed)
	c := st.Info.Config
	assert.Equal(t, []string{"$KV.cfg.>"}, c.Subjects)
	assert.Equal(t, int32(1024), c.MaxMsgSize)
	assert.Equal(t, int64(1<<20), c.MaxBytes)
	assert.Equal(t, time.Minute*2, c.DuplicateWindow)
	assert.True(t, c.AllowDirect)
	assert.True(t, c.AllowRollup)
	assert.True(t, c.DenyDelete)
	assert.Equal(t, js.DiscardNew, c.Discard)
	assert.Equal(t, int64(-1), c.MaxMsgs)
	assert.Equal(t, "repub.>", c.RePublish.Destination)

	// Update changes it; Update of a missing bucket is ErrBucketNotFound.
	other.Compression = true
	b, err = s.Update(ctx, other)
	require.NoError(t, err)
	st, err = b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(6), st.History)
	assert.True(t, st.Compressed)
	_, err = s.Update(ctx, kv.Config{Bucket: "nope"})
	assert.ErrorIs(t, err, kv.ErrBucketNotFound)
	assert.ErrorIs(t, err, js.ErrStreamNotFound)

	// CreateOrUpdate creates, then updates.
	_, err = s.CreateOrUpdate(ctx, kv.Config{Bucket: "cou", TTL: 30 * time.Second})
	require.NoError(t, err)
	st, err = s.Status(ctx, "cou")
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, st.Info.Config.DuplicateWindow, "duplicate window is capped by the ttl")
	_, err = s.CreateOrUpdate(ctx, kv.Config{Bucket: "cou", History: 3})
	require.NoError(t, err)
	st, err = s.Status(ctx, "cou")
	require.NoError(t, err)
	assert.Equal(t, int64(3), st.History)

	// A stream named KV_ that is no bucket is refused.
	j := s.JetStream()
	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "KV_fake", Subjects: []string{"fake.>"}})
	require.NoError(t, err)
	_, err = s.Bucket(ctx, "fake")
	assert.ErrorIs(t, err, kv.ErrNotABucket)
	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "plain", Subjects: []string{"plain.>"}})
	require.NoError(t, err)

	var names []string
	for n, err := range s.Names(ctx) {
		require.NoError(t, err)
		names = append(names, n)
	}
	slices.Sort(names)
	assert.Equal(t, []string{"cfg", "cou"}, names)
	var listed []string
	for st, err := range s.List(ctx) {
		require.NoError(t, err)
		listed = append(listed, st.Bucket)
	}
	slices.Sort(listed)
	assert.Equal(t, names, listed)

	require.NoError(t, s.Delete(ctx, "cou"))
	err = s.Delete(ctx, "cou")
	assert.ErrorIs(t, err, kv.ErrBucketNotFound)
	_, err = s.Bucket(ctx, "cou")
	assert.ErrorIs(t, err, kv.ErrBucketNotFound)
	assert.True(t, errors.Is(err, js.ErrStreamNotFound))
}

// TestBucket_LimitMarkers enables limit markers (API level 1, 2.11+) and
// checks they cannot be switched off again.
func TestBucket_LimitMarkers(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "lm"})
	st, err := b.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.LimitMarkerTTL)

	_, err = s.Update(ctx, kv.Config{Bucket: "lm", LimitMarkerTTL: 5 * time.Second})
	require.NoError(t, err)
	st, err = b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, st.LimitMarkerTTL)
	assert.True(t, st.Info.Config.AllowMsgTTL)

	_, err = s.Update(ctx, kv.Config{Bucket: "lm"})
	assert.Error(t, err, "markers cannot be disabled")
}

// TestBucket_MirrorAndSources: a mirror reads its origin's keys; a
// sourced bucket gets the subject transform that renames the keys.
func TestBucket_MirrorAndSources(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	a := newBucket(t, s, kv.Config{Bucket: "A"})
	_, err := a.Put(ctx, "k", []byte("from A"))
	require.NoError(t, err)

	m := newBucket(t, s, kv.Config{Bucket: "M", Mirror: &js.StreamSource{Name: "A"}})
	st, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "KV_A", st.Info.Config.Mirror.Name)
	assert.True(t, st.Info.Config.MirrorDirect)

	src := newBucket(t, s, kv.Config{Bucket: "S", Sources: []*js.StreamSource{{Name: "A"}}})
	st, err = src.Status(ctx)
	require.NoError(t, err)
	require.Len(t, st.Info.Config.Sources, 1)
	assert.Equal(t, "KV_A", st.Info.Config.Sources[0].Name)
	assert.Equal(t, []js.SubjectTransform{{Source: "$KV.A.>", Destination: "$KV.S.>"}}, st.Info.Config.Sources[0].SubjectTransforms)

	for _, b := range []*kv.Bucket{m, src} {
		require.Eventually(t, func() bool {
			e, err := b.Get(ctx, "k")
			return err == nil && string(e.Value) == "from A"
		}, 10*time.Second, 50*time.Millisecond, b.Name())
	}
	// A write through the mirror lands in the origin. The mirror answers
	// direct gets for its origin too (mirror_direct), so a read right after
	// the write may see the mirror's older state: no read-after-write.
	_, err = m.Put(ctx, "via-mirror", []byte("x"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		e, err := a.Get(ctx, "via-mirror")
		return err == nil && string(e.Value) == "x"
	}, 10*time.Second, 50*time.Millisecond)

	_, err = s.Create(ctx, kv.Config{Bucket: "bad", Mirror: &js.StreamSource{Name: "A"}, Sources: []*js.StreamSource{{Name: "A"}}})
	assert.ErrorIs(t, err, kv.ErrInvalidConfig)
}
