package obj_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

// §4.1: the stream a store is, and every Status field of §4.3.
func TestStoreCreateStatusAndStreamLayout(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	cfg := obj.Config{
		Bucket: "files", Description: "d", TTL: time.Hour, MaxBytes: 1 << 30,
		Storage: js.MemoryStorage, Replicas: 1, Compression: true,
		Metadata: map[string]string{"team": "a"},
	}
	s, err := obj.Create(ctx, j, cfg)
	require.NoError(t, err)
	assert.Equal(t, "files", s.Bucket())

	si, err := j.StreamInfo(ctx, "OBJ_files")
	require.NoError(t, err)
	c := si.Config
	assert.Equal(t, []string{"$O.files.C.>", "$O.files.M.>"}, c.Subjects)
	assert.Equal(t, js.DiscardNew, c.Discard)
	assert.True(t, c.AllowRollup)
	assert.True(t, c.AllowDirect)
	assert.Equal(t, js.S2Compression, c.Compression)
	assert.Equal(t, int64(1<<30), c.MaxBytes)
	assert.Equal(t, time.Hour, c.MaxAge)

	_, err = s.PutString(ctx, "a", "hello")
	require.NoError(t, err)
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "files", st.Bucket)
	assert.Equal(t, "d", st.Description)
	assert.Equal(t, time.Hour, st.TTL)
	assert.Equal(t, js.MemoryStorage, st.Storage)
	assert.Equal(t, 1, st.Replicas)
	assert.False(t, st.Sealed)
	assert.Greater(t, st.Size, uint64(5))
	assert.Equal(t, "JetStream", st.BackingStore)
	assert.Equal(t, "a", st.Metadata["team"])
	assert.True(t, st.Compressed)
	require.NotNil(t, st.StreamInfo)

	// The same config again opens it; another one is ErrStoreExists.
	_, err = obj.Create(ctx, j, cfg)
	require.NoError(t, err)
	cfg2 := cfg
	cfg2.Description = "other"
	_, err = obj.Create(ctx, j, cfg2)
	assert.ErrorIs(t, err, obj.ErrStoreExists)

	// Update changes it; CreateOrUpdate does both.
	s, err = obj.Update(ctx, j, cfg2)
	require.NoError(t, err)
	st, err = s.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "other", st.Description)
	_, err = obj.Update(ctx, j, obj.Config{Bucket: "missing"})
	assert.ErrorIs(t, err, obj.ErrStoreNotFound)
	_, err = obj.CreateOrUpdate(ctx, j, obj.Config{Bucket: "made"})
	require.NoError(t, err)
	_, err = obj.CreateOrUpdate(ctx, j, obj.Config{Bucket: "made", Description: "x"})
	require.NoError(t, err)
}

func TestStoreOpenDeleteNamesList(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)

	// No stores: empty iterators, no error.
	for _, err := range obj.Names(ctx, j) {
		require.NoError(t, err)
		t.Fatal("a name in an empty account")
	}
	// A non-object stream is not listed.
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
	require.NoError(t, err)
	for _, b := range []string{"b1", "b2", "b3"} {
		newStore(t, j, b)
	}
	var names []string
	for n, err := range obj.Names(ctx, j) {
		require.NoError(t, err)
		names = append(names, n)
	}
	slices.Sort(names)
	assert.Equal(t, []string{"b1", "b2", "b3"}, names)
	var listed []string
	for st, err := range obj.List(ctx, j) {
		require.NoError(t, err)
		assert.Equal(t, "JetStream", st.BackingStore)
		listed = append(listed, st.Bucket)
	}
	slices.Sort(listed)
	assert.Equal(t, names, listed)
	// Breaking early is fine.
	for range obj.Names(ctx, j) {
		break
	}

	s, err := obj.Open(ctx, j, "b2")
	require.NoError(t, err)
	assert.Equal(t, "b2", s.Bucket())
	_, err = obj.Open(ctx, j, "nope")
	assert.ErrorIs(t, err, obj.ErrStoreNotFound)
	assert.ErrorIs(t, err, js.ErrStreamNotFound)

	require.NoError(t, obj.Delete(ctx, j, "b2"))
	assert.ErrorIs(t, obj.Delete(ctx, j, "b2"), obj.ErrStoreNotFound)
	_, err = obj.Open(ctx, j, "b2")
	assert.ErrorIs(t, err, obj.ErrStoreNotFound)
}

func TestStoreInvalidNamesAndOptions(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	for _, b := range []string{"", "a.b", "a b", "a*", "a>", "ä"} {
		_, err := obj.Create(ctx, j, obj.Config{Bucket: b})
		assert.ErrorIs(t, err, obj.ErrInvalidStoreName, b)
		_, err = obj.Open(ctx, j, b)
		assert.ErrorIs(t, err, obj.ErrInvalidStoreName, b)
		assert.ErrorIs(t, obj.Delete(ctx, j, b), obj.ErrInvalidStoreName, b)
	}
	_, err := obj.Create(ctx, j, obj.Config{Bucket: "x", TTL: -1})
	assert.ErrorIs(t, err, obj.ErrInvalidOption)
	s := newStore(t, j, "ok")
	_, err = s.PutString(ctx, "a", "x", obj.WithChunkSize(0))
	assert.ErrorIs(t, err, obj.ErrInvalidOption)
	_, err = s.PutString(ctx, "a", "x", obj.WithPutWindow(-1))
	assert.ErrorIs(t, err, obj.ErrInvalidOption)
	_, err = s.PutString(ctx, "", "x")
	assert.ErrorIs(t, err, obj.ErrInvalidObjectName)
	_, err = s.Get(ctx, "a", obj.WithGetWindow(0))
	assert.ErrorIs(t, err, obj.ErrInvalidOption)
	_, err = s.Get(ctx, "a", obj.WithHeartbeat(time.Millisecond))
	assert.ErrorIs(t, err, obj.ErrInvalidOption)
}

func TestStoreSeal(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "sealme")
	_, err := s.PutString(ctx, "a", "before")
	require.NoError(t, err)
	require.NoError(t, s.Seal(ctx))
	st, err := s.Status(ctx)
	require.NoError(t, err)
	assert.True(t, st.Sealed)
	_, err = s.PutString(ctx, "b", "after")
	assert.ErrorIs(t, err, js.ErrStreamSealed)
	assert.Error(t, s.Delete(ctx, "a"))
	got, err := s.GetString(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "before", got)
}
