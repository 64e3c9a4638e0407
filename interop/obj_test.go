package interop

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/obj"
)

// The sizes both directions check: empty, one byte, the chunk boundary
// on both sides, and several chunks.
var objSizes = []int{0, 1, 128*1024 - 1, 128 * 1024, 128*1024 + 1, 3<<20 + 5}

// Objects put by nats.go (with a description, headers, metadata and a
// link) are listed, read and digest-verified by Starling, and Starling's
// infos equal nats.go's field for field.
func TestObjectStoreNatsPutStarlingGet(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	nos, err := nj.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "fromnats", Description: "d", Compression: true})
	require.NoError(t, err)
	st, err := obj.Open(ctx, sj, "fromnats")
	require.NoError(t, err)
	status, err := st.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "d", status.Description)
	assert.True(t, status.Compressed)

	for _, n := range objSizes {
		name := fmt.Sprintf("dir/obj %d.bin", n)
		data := payload(n, uint64(n))
		ninfo, err := nos.Put(ctx, jetstream.ObjectMeta{
			Name: name, Description: "desc", Headers: map[string][]string{"X-A": {"1"}}, Metadata: map[string]string{"m": "v"},
		}, bytes.NewReader(data))
		require.NoError(t, err)

		sinfo, err := st.GetInfo(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, ninfo.NUID, sinfo.NUID)
		assert.Equal(t, ninfo.Size, sinfo.Size)
		assert.Equal(t, ninfo.Chunks, sinfo.Chunks)
		assert.Equal(t, ninfo.Digest, sinfo.Digest)
		assert.Equal(t, "desc", sinfo.Description)
		assert.Equal(t, "1", sinfo.Headers.Get("X-A"))
		assert.Equal(t, "v", sinfo.Metadata["m"])

		got, err := st.GetBytes(ctx, name)
		require.NoError(t, err)
		requireData(t, data, got, name)
	}
	target, err := nos.GetInfo(ctx, fmt.Sprintf("dir/obj %d.bin", objSizes[len(objSizes)-1]))
	require.NoError(t, err)
	_, err = nos.AddLink(ctx, "link", target)
	require.NoError(t, err)
	_, err = nos.AddBucketLink(ctx, "blink", nos)
	require.NoError(t, err)
	require.NoError(t, nos.Delete(ctx, fmt.Sprintf("dir/obj %d.bin", 1)))

	li, err := st.GetInfo(ctx, "link")
	require.NoError(t, err)
	assert.Equal(t, &obj.Link{Bucket: "fromnats", Name: target.Name}, li.Options.Link)
	got, err := st.GetBytes(ctx, "link")
	require.NoError(t, err)
	requireData(t, payload(objSizes[len(objSizes)-1], uint64(objSizes[len(objSizes)-1])), got, "through the link")
	_, err = st.Get(ctx, "blink")
	assert.ErrorIs(t, err, obj.ErrCantGetBucket)
	_, err = st.GetInfo(ctx, fmt.Sprintf("dir/obj %d.bin", 1))
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)

	var names []string
	for info, err := range st.List(ctx) {
		require.NoError(t, err)
		names = append(names, info.Name)
	}
	var want []string
	nl, err := nos.List(ctx)
	require.NoError(t, err)
	for _, i := range nl {
		want = append(want, i.Name)
	}
	slices.Sort(names)
	slices.Sort(want)
	assert.Equal(t, want, names)
}

// Objects put by Starling (from a reader, with meta, and a link) are
// listed, read and digest-verified by nats.go, whose reader checks the
// digest itself.
func TestObjectStoreStarlingPutNatsGet(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	st, err := obj.Create(ctx, sj, obj.Config{Bucket: "fromstarling", Description: "s"})
	require.NoError(t, err)
	nos, err := nj.ObjectStore(ctx, "fromstarling")
	require.NoError(t, err)
	nstatus, err := nos.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "s", nstatus.Description())

	var last *obj.Info
	for _, n := range objSizes {
		name := fmt.Sprintf("o.%d", n)
		data := payload(n, uint64(n)+1)
		h := core.Header{}
		h.Set("Content-Type", "application/octet-stream")
		sinfo, err := st.Put(ctx, obj.Meta{Name: name, Description: "desc", Headers: h, Metadata: map[string]string{"m": "v"}},
			io.MultiReader(bytes.NewReader(data)))
		require.NoError(t, err)
		last = sinfo

		ninfo, err := nos.GetInfo(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, sinfo.NUID, ninfo.NUID)
		assert.Equal(t, sinfo.Size, ninfo.Size)
		assert.Equal(t, sinfo.Chunks, ninfo.Chunks)
		assert.Equal(t, sinfo.Digest, ninfo.Digest)
		assert.Equal(t, "desc", ninfo.Description)
		assert.Equal(t, "application/octet-stream", ninfo.Headers.Get("Content-Type"))
		assert.Equal(t, "v", ninfo.Metadata["m"])
		assert.False(t, ninfo.ModTime.IsZero())

		r, err := nos.Get(ctx, name)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err, "nats.go verified the digest")
		require.NoError(t, r.Close())
		requireData(t, data, got, name)
	}
	_, err = st.AddLink(ctx, "link", last)
	require.NoError(t, err)
	_, err = st.AddBucketLink(ctx, "blink", st)
	require.NoError(t, err)
	require.NoError(t, st.Delete(ctx, "o.1"))
	require.NoError(t, st.UpdateMeta(ctx, "o.0", obj.Meta{Name: "renamed"}))

	got, err := nos.GetBytes(ctx, "link")
	require.NoError(t, err)
	requireData(t, payload(objSizes[len(objSizes)-1], uint64(objSizes[len(objSizes)-1])+1), got, "nats.go through Starling's link")
	bl, err := nos.GetInfo(ctx, "blink")
	require.NoError(t, err)
	require.NotNil(t, bl.Opts)
	assert.Equal(t, "fromstarling", bl.Opts.Link.Bucket)
	assert.Empty(t, bl.Opts.Link.Name)
	_, err = nos.GetInfo(ctx, "o.1")
	assert.ErrorIs(t, err, jetstream.ErrObjectNotFound)
	_, err = nos.GetInfo(ctx, "o.0")
	assert.ErrorIs(t, err, jetstream.ErrObjectNotFound)
	_, err = nos.GetInfo(ctx, "renamed")
	require.NoError(t, err)

	nl, err := nos.List(ctx)
	require.NoError(t, err)
	var names []string
	for _, i := range nl {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	var want []string
	for info, err := range st.List(ctx) {
		require.NoError(t, err)
		want = append(want, info.Name)
	}
	slices.Sort(want)
	assert.Equal(t, want, names)

	// Both list the stores the same way.
	var stores []string
	for n, err := range obj.Names(ctx, sj) {
		require.NoError(t, err)
		stores = append(stores, n)
	}
	var nstores []string
	for n := range nj.ObjectStoreNames(ctx).Name() {
		nstores = append(nstores, n)
	}
	assert.Equal(t, nstores, stores)
}

// Each client's watch sees the other's puts and deletes, and both mark
// the end of the initial objects.
func TestObjectStoreWatchAcrossClients(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	st, err := obj.Create(ctx, sj, obj.Config{Bucket: "watched"})
	require.NoError(t, err)
	nos, err := nj.ObjectStore(ctx, "watched")
	require.NoError(t, err)
	_, err = nos.PutString(ctx, "before", "x")
	require.NoError(t, err)

	nw, err := nos.Watch(ctx)
	require.NoError(t, err)
	defer func() { _ = nw.Stop() }()
	sw := st.WatchChan(ctx)
	defer sw.Stop()

	nextNats := func() *jetstream.ObjectInfo {
		select {
		case i := <-nw.Updates():
			return i
		case <-ctx.Done():
			t.Fatal("no update on nats.go's watch")
			return nil
		}
	}
	nextStarling := func() *obj.Info {
		select {
		case i := <-sw.Updates():
			return i
		case <-ctx.Done():
			t.Fatal("no update on Starling's watch")
			return nil
		}
	}
	assert.Equal(t, "before", nextNats().Name)
	assert.Nil(t, nextNats(), "nats.go's end of initial data")
	assert.Equal(t, "before", nextStarling().Name)
	assert.Nil(t, nextStarling(), "Starling's end of initial data")

	_, err = st.PutString(ctx, "from-starling", "s")
	require.NoError(t, err)
	assert.Equal(t, "from-starling", nextNats().Name)
	assert.Equal(t, "from-starling", nextStarling().Name)

	_, err = nos.PutString(ctx, "from-nats", "n")
	require.NoError(t, err)
	assert.Equal(t, "from-nats", nextNats().Name)
	assert.Equal(t, "from-nats", nextStarling().Name)

	require.NoError(t, nos.Delete(ctx, "from-starling"))
	d := nextStarling()
	assert.Equal(t, "from-starling", d.Name)
	assert.True(t, d.Deleted)
	nd := nextNats()
	assert.Equal(t, "from-starling", nd.Name)
	assert.True(t, nd.Deleted)
	require.NoError(t, st.Delete(ctx, "from-nats"))
	nd = nextNats()
	assert.Equal(t, "from-nats", nd.Name)
	assert.True(t, nd.Deleted)
	assert.True(t, nextStarling().Deleted)
}
