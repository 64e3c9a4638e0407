package obj_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/obj"
)

func TestGetInfoDeleteShowDeleted(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "meta")
	h := core.Header{}
	h.Set("Content-Type", "text/plain")
	put, err := s.Put(ctx, obj.Meta{Name: "dir/a file.txt", Description: "d", Headers: h, Metadata: map[string]string{"k": "v"}},
		nil)
	require.NoError(t, err)
	info, err := s.GetInfo(ctx, "dir/a file.txt")
	require.NoError(t, err)
	assert.Equal(t, put.NUID, info.NUID)
	assert.Equal(t, "d", info.Description)
	assert.Equal(t, "text/plain", info.Headers.Get("Content-Type"))
	assert.Equal(t, "v", info.Metadata["k"])
	assert.WithinDuration(t, time.Now(), info.ModTime, time.Minute, "mtime is the stream's timestamp")

	_, err = s.GetInfo(ctx, "nope")
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)
	_, err = s.GetInfo(ctx, "")
	assert.ErrorIs(t, err, obj.ErrInvalidObjectName)

	_, err = s.PutBytes(ctx, "gone", randomBytes(200_000, 1))
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "gone"))
	_, err = s.GetInfo(ctx, "gone")
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)
	_, err = s.Get(ctx, "gone")
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)
	del, err := s.GetInfo(ctx, "gone", obj.ShowDeleted())
	require.NoError(t, err)
	assert.True(t, del.Deleted)
	assert.Zero(t, del.Size)
	assert.Zero(t, del.Chunks)
	assert.Empty(t, del.Digest)
	assert.ErrorIs(t, s.Delete(ctx, "gone"), obj.ErrObjectNotFound)
	assert.ErrorIs(t, s.Delete(ctx, "never"), obj.ErrObjectNotFound)
	// Only the meta of the deleted object remains: its chunks are purged.
	si, err := j.StreamInfo(ctx, "OBJ_meta")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), si.State.Msgs)

	// A deleted name can be put again.
	_, err = s.PutString(ctx, "gone", "back")
	require.NoError(t, err)
	got, err := s.GetString(ctx, "gone")
	require.NoError(t, err)
	assert.Equal(t, "back", got)
}

// §4.3 UpdateMeta: what may change, renames, and the errors.
func TestUpdateMeta(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "upd")
	data := randomBytes(300_000, 2)
	orig, err := s.PutBytes(ctx, "a", data)
	require.NoError(t, err)
	_, err = s.PutString(ctx, "taken", "x")
	require.NoError(t, err)

	require.NoError(t, s.UpdateMeta(ctx, "a", obj.Meta{Name: "a", Description: "new", Metadata: map[string]string{"m": "1"}}))
	info, err := s.GetInfo(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "new", info.Description)
	assert.Equal(t, "1", info.Metadata["m"])
	assert.Equal(t, orig.Digest, info.Digest)
	assert.Equal(t, orig.NUID, info.NUID)

	assert.ErrorIs(t, s.UpdateMeta(ctx, "a", obj.Meta{Name: "taken"}), obj.ErrObjectExists)
	assert.ErrorIs(t, s.UpdateMeta(ctx, "missing", obj.Meta{Name: "x"}), obj.ErrObjectNotFound)
	assert.ErrorIs(t, s.UpdateMeta(ctx, "a", obj.Meta{}), obj.ErrInvalidObjectName)

	// Rename: the bytes follow, the old name reads as deleted.
	require.NoError(t, s.UpdateMeta(ctx, "a", obj.Meta{Name: "b", Description: "renamed"}))
	got, err := s.GetBytes(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = s.GetInfo(ctx, "a")
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)
	assert.ErrorIs(t, s.UpdateMeta(ctx, "a", obj.Meta{Name: "a"}), obj.ErrUpdateMetaDeleted)

	// Renaming onto a deleted name is allowed.
	require.NoError(t, s.Delete(ctx, "taken"))
	require.NoError(t, s.UpdateMeta(ctx, "b", obj.Meta{Name: "taken"}))
	got, err = s.GetBytes(ctx, "taken")
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

// §4.3 AddLink / AddBucketLink and every error they have; Get follows
// object links, also across stores.
func TestLinks(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "links")
	other := newStore(t, j, "other")
	data := randomBytes(200_000, 3)
	target, err := other.PutBytes(ctx, "target", data)
	require.NoError(t, err)
	local, err := s.PutString(ctx, "local", "here")
	require.NoError(t, err)

	l, err := s.AddLink(ctx, "ln", target)
	require.NoError(t, err)
	assert.True(t, l.IsLink())
	assert.Equal(t, &obj.Link{Bucket: "other", Name: "target"}, l.Options.Link)
	got, err := s.GetBytes(ctx, "ln")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	// GetInfo does not follow.
	li, err := s.GetInfo(ctx, "ln")
	require.NoError(t, err)
	assert.True(t, li.IsLink())
	assert.Zero(t, li.Size)

	_, err = s.AddLink(ctx, "ln2", local)
	require.NoError(t, err)
	got2, err := s.GetString(ctx, "ln2")
	require.NoError(t, err)
	assert.Equal(t, "here", got2)

	// A link may replace a link, not a live object.
	_, err = s.AddLink(ctx, "ln2", target)
	require.NoError(t, err)
	_, err = s.AddLink(ctx, "local", target)
	assert.ErrorIs(t, err, obj.ErrObjectExists)
	// No link to a link, to a deleted object, or to nothing.
	_, err = s.AddLink(ctx, "x", l)
	assert.ErrorIs(t, err, obj.ErrNoLinkToLink)
	require.NoError(t, s.Delete(ctx, "local"))
	deleted, err := s.GetInfo(ctx, "local", obj.ShowDeleted())
	require.NoError(t, err)
	_, err = s.AddLink(ctx, "x", deleted)
	assert.ErrorIs(t, err, obj.ErrNoLinkToDeleted)
	_, err = s.AddLink(ctx, "x", nil)
	assert.ErrorIs(t, err, obj.ErrInvalidObjectName)
	_, err = s.AddLink(ctx, "", target)
	assert.ErrorIs(t, err, obj.ErrInvalidObjectName)
	// A deleted name can become a link.
	_, err = s.AddLink(ctx, "local", target)
	require.NoError(t, err)

	// Put refuses meta with a link.
	_, err = s.Put(ctx, obj.Meta{Name: "p", Options: &obj.MetaOptions{Link: &obj.Link{Bucket: "other"}}}, nil)
	assert.ErrorIs(t, err, obj.ErrLinkNotAllowed)

	// Bucket links: stored, not gettable.
	bl, err := s.AddBucketLink(ctx, "bucket", other)
	require.NoError(t, err)
	assert.Equal(t, &obj.Link{Bucket: "other"}, bl.Options.Link)
	_, err = s.Get(ctx, "bucket")
	assert.ErrorIs(t, err, obj.ErrCantGetBucket)
	_, err = s.AddBucketLink(ctx, "bucket2", nil)
	assert.ErrorIs(t, err, obj.ErrInvalidStoreName)
	_, err = s.AddBucketLink(ctx, "ln", other)
	require.NoError(t, err, "a link may replace a link")

	// A link whose target was deleted reads as not found.
	require.NoError(t, other.Delete(ctx, "target"))
	_, err = s.Get(ctx, "ln2")
	assert.ErrorIs(t, err, obj.ErrObjectNotFound)
	// Deleting a link leaves its target alone.
	t2, err := other.PutString(ctx, "t2", "v")
	require.NoError(t, err)
	_, err = s.AddLink(ctx, "ln3", t2)
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "ln3"))
	v, err := other.GetString(ctx, "t2")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
}
