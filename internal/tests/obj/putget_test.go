package obj_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
}

// §4.3 Put and Get at the chunk boundaries: 0 B, 1 B, exactly one chunk,
// one chunk + 1 byte, and many chunks, each read back byte for byte, with
// the chunk count and digest other clients expect.
func TestPutGetSizes(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "sizes")
	const chunk = obj.DefaultChunkSize
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 7, 40 * chunk} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := randomBytes(n, uint64(n))
			name := fmt.Sprintf("obj-%d", n)
			info, err := s.Put(ctx, obj.Meta{Name: name, Description: "d"}, bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, uint64(n), info.Size)
			assert.Equal(t, uint32((n+chunk-1)/chunk), info.Chunks)
			assert.Equal(t, digestOf(data), info.Digest)
			assert.Equal(t, "sizes", info.Bucket)
			assert.Len(t, info.NUID, 22)

			got, err := s.GetBytes(ctx, name)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "bytes differ")

			// Reading through Read with a small buffer gives the same.
			r, err := s.Get(ctx, name)
			require.NoError(t, err)
			var out bytes.Buffer
			buf := make([]byte, 1000)
			for {
				k, err := r.Read(buf)
				out.Write(buf[:k])
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
			}
			require.NoError(t, r.Close())
			assert.True(t, bytes.Equal(data, out.Bytes()))
			assert.Equal(t, "d", r.Info().Description)
		})
	}
	// Each finished read deleted its consumer.
	assert.Eventually(t, func() bool { return consumerCount(t, j, "sizes") == 0 }, 10*time.Second, 50*time.Millisecond)
}

// A reader of unknown length, in odd read sizes, with a small chunk size
// and window: every chunk stored once, in order.
func TestPutUnknownLengthReaderSmallChunks(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "stream")
	data := randomBytes(1<<20+333, 7)
	r := io.MultiReader(bytes.NewReader(data[:100]), io.LimitReader(bytes.NewReader(data[100:]), int64(len(data)-100)))
	info, err := s.Put(ctx, obj.Meta{Name: "x"}, r, obj.WithChunkSize(1000), obj.WithPutWindow(3))
	require.NoError(t, err)
	assert.Equal(t, uint32((len(data)+999)/1000), info.Chunks)
	require.NotNil(t, info.Options)
	assert.Equal(t, uint32(1000), info.Options.ChunkSize)
	got, err := s.GetBytes(ctx, "x", obj.WithGetWindow(2))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	si, err := j.StreamInfo(ctx, "OBJ_stream")
	require.NoError(t, err)
	assert.Equal(t, uint64(info.Chunks)+1, si.State.Msgs)
}

// A new version replaces the old one: the old chunks are purged and only
// one meta message is kept.
func TestPutReplacesAndPurgesOldVersion(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "versions")
	first, err := s.PutBytes(ctx, "v", randomBytes(300_000, 1))
	require.NoError(t, err)
	second, err := s.PutBytes(ctx, "v", randomBytes(5, 2))
	require.NoError(t, err)
	assert.NotEqual(t, first.NUID, second.NUID)
	si, err := j.StreamInfo(ctx, "OBJ_versions")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), si.State.Msgs, "one chunk and one meta")
	got, err := s.GetBytes(ctx, "v")
	require.NoError(t, err)
	assert.Equal(t, randomBytes(5, 2), got)
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(b []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(b, f.data)
	f.data = f.data[n:]
	return n, nil
}

// §4.3 step 4: a put that fails part way purges what it wrote and leaves
// the previous version readable; so does one refused for the store's
// max bytes, and one whose context ends.
func TestPutFailureKeepsOldVersion(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s, err := obj.Create(ctx, j, obj.Config{Bucket: "fail", MaxBytes: 2 << 20})
	require.NoError(t, err)
	old := randomBytes(200_000, 3)
	_, err = s.PutBytes(ctx, "o", old)
	require.NoError(t, err)
	msgsBefore := func() uint64 {
		si, err := j.StreamInfo(ctx, "OBJ_fail")
		require.NoError(t, err)
		return si.State.Msgs
	}
	before := msgsBefore()

	boom := errors.New("disk on fire")
	_, err = s.Put(ctx, obj.Meta{Name: "o"}, &failingReader{data: randomBytes(700_000, 4), err: boom})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, before, msgsBefore(), "partial chunks purged")

	// Larger than the store allows: refused by the server.
	_, err = s.PutBytes(ctx, "o", randomBytes(3<<20, 5))
	var apiErr *js.APIError
	assert.ErrorAs(t, err, &apiErr)
	assert.Equal(t, before, msgsBefore(), "partial chunks purged")

	// The context ends mid-put.
	cctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(randomBytes(300_000, 6))
		cancel()
		_ = pw.Close()
	}()
	_, err = s.Put(cctx, obj.Meta{Name: "o"}, pr)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, msgsBefore(), "partial chunks purged")

	got, err := s.GetBytes(ctx, "o")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(old, got))
}

// publishRawMeta stores an arbitrary meta JSON, as a corrupt or foreign
// writer would.
func publishRawMeta(t *testing.T, j *js.JetStream, bucket, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	h := core.Header{}
	h.Set("Nats-Rollup", "sub")
	subj := "$O." + bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
	_, err = j.PublishMsg(testCtx(t, 10*time.Second), &core.Msg{Subject: subj, Header: h, Data: data})
	require.NoError(t, err)
}

// §4.3 Get step 5: bytes that do not match the stored digest or size are
// an error at the end, GetBytes returns nothing, GetFile leaves no file.
func TestGetDetectsDigestAndSizeMismatch(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "corrupt")
	data := randomBytes(300_000, 8)
	info, err := s.PutBytes(ctx, "good", data)
	require.NoError(t, err)

	bad := *info
	bad.Digest = digestOf([]byte("something else"))
	publishRawMeta(t, j, "corrupt", "good", &bad)
	got, err := s.GetBytes(ctx, "good")
	assert.ErrorIs(t, err, obj.ErrDigestMismatch)
	assert.Nil(t, got)
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.bin")
	require.NoError(t, os.WriteFile(dst, []byte("previous"), 0o600))
	assert.ErrorIs(t, s.GetFile(ctx, "good", dst), obj.ErrDigestMismatch)
	prev, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "previous", string(prev), "the destination is untouched")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	short := *info
	short.Size = info.Size - 1
	publishRawMeta(t, j, "corrupt", "good", &short)
	_, err = s.GetBytes(ctx, "good")
	assert.ErrorIs(t, err, obj.ErrObjectSizeMismatch)

	long := *info
	long.Size = info.Size + 1
	publishRawMeta(t, j, "corrupt", "good", &long)
	_, err = s.GetBytes(ctx, "good")
	assert.ErrorIs(t, err, obj.ErrObjectSizeMismatch)

	// More chunks claimed than stored: the last one says nothing is
	// pending, which ends the read with a size mismatch, not a hang.
	more := *info
	more.Chunks = info.Chunks + 1
	publishRawMeta(t, j, "corrupt", "good", &more)
	_, err = s.GetBytes(ctx, "good")
	assert.ErrorIs(t, err, obj.ErrObjectSizeMismatch)

	baddig := *info
	baddig.Digest = "MD5=abc"
	publishRawMeta(t, j, "corrupt", "good", &baddig)
	_, err = s.GetBytes(ctx, "good")
	assert.ErrorIs(t, err, obj.ErrInvalidDigest)

	publishRawMeta(t, j, "corrupt", "junk", []int{1, 2})
	_, err = s.GetInfo(ctx, "junk")
	assert.ErrorIs(t, err, obj.ErrBadObjectMeta)

	assert.Eventually(t, func() bool { return consumerCount(t, j, "corrupt") == 0 }, 10*time.Second, 50*time.Millisecond)
}

func TestGetFileAndPutFile(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "files")
	dir := t.TempDir()
	src := filepath.Join(dir, "in.bin")
	data := randomBytes(500_000, 9)
	require.NoError(t, os.WriteFile(src, data, 0o600))
	info, err := s.PutFile(ctx, src)
	require.NoError(t, err)
	assert.Equal(t, src, info.Name)
	dst := filepath.Join(dir, "out.bin")
	require.NoError(t, s.GetFile(ctx, src, dst))
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	_, err = s.PutFile(ctx, filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorIs(t, s.GetFile(ctx, "missing", dst), obj.ErrObjectNotFound)
}

// Close part way stops delivery and deletes the consumer; later reads
// say the reader is closed.
func TestReaderCloseEarlyLeavesNoConsumer(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "early")
	_, err := s.PutBytes(ctx, "big", randomBytes(4<<20, 10))
	require.NoError(t, err)
	r, err := s.Get(ctx, "big")
	require.NoError(t, err)
	assert.Equal(t, 1, consumerCount(t, j, "early"))
	buf := make([]byte, 1000)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.Read(buf)
	assert.ErrorIs(t, err, obj.ErrReaderClosed)
	assert.Equal(t, 0, consumerCount(t, j, "early"))
	require.NoError(t, r.Close(), "Close twice is fine")
}

// The reader's context ends a read.
func TestReaderContextEndsRead(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "ctx")
	_, err := s.PutBytes(ctx, "big", randomBytes(4<<20, 11))
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	r, err := s.Get(rctx, "big")
	require.NoError(t, err)
	buf := make([]byte, 1000)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	cancel()
	_, err = io.Copy(io.Discard, r)
	assert.ErrorIs(t, err, context.Canceled)
	require.NoError(t, r.Close())
	assert.Eventually(t, func() bool { return consumerCount(t, j, "ctx") == 0 }, 10*time.Second, 50*time.Millisecond)
}

// Puts of one name racing each other: every put succeeds, the object is
// one of the versions, whole, and only its chunks remain (nats.go leaves
// the chunks of the versions that lost the race).
func TestConcurrentPutsLeaveOneVersion(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "race")
	const writers = 4
	versions := make([][]byte, writers)
	errs := make(chan error, writers)
	for i := range writers {
		versions[i] = randomBytes(400_000+i, uint64(100+i))
		go func() {
			_, err := s.PutBytes(ctx, "x", versions[i], obj.WithChunkSize(50_000))
			errs <- err
		}()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	info, err := s.GetInfo(ctx, "x")
	require.NoError(t, err)
	got, err := s.GetBytes(ctx, "x")
	require.NoError(t, err)
	assert.Contains(t, versions, got)
	si, err := j.StreamInfo(ctx, "OBJ_race")
	require.NoError(t, err)
	assert.Equal(t, uint64(info.Chunks)+1, si.State.Msgs, "only the winner's chunks and its meta")

	// Deletes racing puts end with either a deleted object and no chunks,
	// or one whole version.
	for i := range writers {
		go func() {
			if i%2 == 0 {
				errs <- s.Delete(ctx, "x")
				return
			}
			_, err := s.PutBytes(ctx, "x", versions[i], obj.WithChunkSize(50_000))
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			require.ErrorIs(t, err, obj.ErrObjectNotFound, "a delete after another delete")
		}
	}
	si, err = j.StreamInfo(ctx, "OBJ_race")
	require.NoError(t, err)
	info, err = s.GetInfo(ctx, "x", obj.ShowDeleted())
	require.NoError(t, err)
	assert.Equal(t, uint64(info.Chunks)+1, si.State.Msgs)
}

// Chunks purged under a reader (another client replaced the object, or
// purged the stream): the read ends with ErrObjectSizeMismatch soon, not
// with heartbeats until the context ends; so does a get whose chunks were
// gone before it started.
func TestGetChunksPurgedUnderReader(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "purged")
	info, err := s.PutBytes(ctx, "x", randomBytes(4<<20, 12))
	require.NoError(t, err)
	r, err := s.Get(ctx, "x", obj.WithGetWindow(2), obj.WithHeartbeat(200*time.Millisecond))
	require.NoError(t, err)
	defer r.Close()
	_, err = io.CopyN(io.Discard, r, 128*1024)
	require.NoError(t, err)
	_, err = j.PurgeStream(ctx, "OBJ_purged", js.PurgeFilter("$O.purged.C."+info.NUID))
	require.NoError(t, err)
	start := time.Now()
	_, err = io.Copy(io.Discard, r)
	assert.ErrorIs(t, err, obj.ErrObjectSizeMismatch)
	assert.Less(t, time.Since(start), 20*time.Second)

	_, err = s.Get(ctx, "x")
	assert.ErrorIs(t, err, obj.ErrObjectSizeMismatch)
	assert.Eventually(t, func() bool { return consumerCount(t, j, "purged") == 0 }, 10*time.Second, 50*time.Millisecond)
}

// cancelAtEOF hands out data and ends ctx (cancel) as it reports EOF: the
// put has every chunk in flight or stored when it learns its context ended.
// With wait set it first lets the chunks' acks arrive; with after set it
// ends ctx that long after EOF instead, while the put writes its meta.
type cancelAtEOF struct {
	failingReader // its data; EOF is ours
	cancel        context.CancelFunc
	wait          time.Duration
	after         time.Duration
}

func (r *cancelAtEOF) Read(b []byte) (int, error) {
	if len(r.data) > 0 {
		return r.failingReader.Read(b)
	}
	if r.after > 0 {
		time.AfterFunc(r.after, r.cancel)
	} else {
		time.Sleep(r.wait)
		r.cancel()
	}
	return 0, io.EOF
}

// A put whose context ends as its last chunk goes out either fails and
// leaves the old version readable, or succeeds: never a meta that names
// purged chunks (a put cut off while writing its meta once left the name
// unreadable, "stored messages missing").
func TestPutCanceledAtEOFNeverBreaksTheName(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "eof")
	old := randomBytes(10_000, 11)
	_, err := s.PutBytes(ctx, "o", old)
	require.NoError(t, err)
	canceled := 0
	for i := range 30 {
		data := randomBytes(3_000, uint64(100+i))
		cctx, cancel := context.WithCancel(ctx)
		r := &cancelAtEOF{failingReader: failingReader{data: data}, cancel: cancel, wait: 20 * time.Millisecond}
		if i%2 == 1 {
			r.after = time.Duration(i) * 20 * time.Microsecond
		}
		_, err := s.Put(cctx, obj.Meta{Name: "o"}, r, obj.WithChunkSize(1_000))
		cancel()
		got, gerr := s.GetBytes(ctx, "o")
		require.NoError(t, gerr, "try %d (put: %v)", i, err)
		if err == nil {
			require.True(t, bytes.Equal(data, got), "try %d: the put succeeded, its bytes are read", i)
			old = data
			continue
		}
		require.ErrorIs(t, err, context.Canceled, "try %d", i)
		canceled++
		require.True(t, bytes.Equal(old, got), "try %d: the put failed, the old bytes are read", i)
	}
	assert.GreaterOrEqual(t, canceled, 15, "every put that waited for its acks before its context ended failed")
}
