package kv_test

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// TestEntries_Operations runs every entry operation against a server.
func TestEntries_Operations(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "ops", History: 10})

	_, err := b.Get(ctx, "k")
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	assert.NotErrorIs(t, err, kv.ErrKeyDeleted)

	r1, err := b.Put(ctx, "k", []byte("v1"))
	require.NoError(t, err)
	e, err := b.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "ops", e.Bucket)
	assert.Equal(t, "k", e.Key)
	assert.Equal(t, "v1", string(e.Value))
	assert.Equal(t, r1, e.Revision)
	assert.Equal(t, kv.OpPut, e.Operation)
	assert.WithinDuration(t, time.Now(), e.Created, time.Minute)

	// Create refuses a live key; Update is a compare-and-set.
	_, err = b.Create(ctx, "k", []byte("x"))
	assert.ErrorIs(t, err, kv.ErrKeyExists)
	_, err = b.Update(ctx, "k", []byte("x"), r1+100)
	assert.ErrorIs(t, err, kv.ErrWrongRevision)
	assert.ErrorIs(t, err, js.ErrWrongLastSequence)
	var apiErr *js.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, []uint16{10071, 10164}, apiErr.ErrCode)
	r2, err := b.Update(ctx, "k", []byte("v2"), r1)
	require.NoError(t, err)
	assert.Greater(t, r2, r1)

	got, err := b.GetRevision(ctx, "k", r1)
	require.NoError(t, err)
	assert.Equal(t, "v1", string(got.Value))
	other, err := b.Put(ctx, "other", []byte("o"))
	require.NoError(t, err)
	_, err = b.GetRevision(ctx, "k", other)
	assert.ErrorIs(t, err, kv.ErrKeyNotFound, "a revision of another key")
	_, err = b.GetRevision(ctx, "k", 1000)
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)

	// Delete with a wrong expected revision fails; with the right one it
	// writes a marker Get reports as deleted.
	assert.ErrorIs(t, b.Delete(ctx, "k", kv.LastRevision(r1)), kv.ErrWrongRevision)
	require.NoError(t, b.Delete(ctx, "k", kv.LastRevision(r2)))
	_, err = b.Get(ctx, "k")
	assert.ErrorIs(t, err, kv.ErrKeyDeleted)
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	var de *kv.DeletedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, kv.OpDelete, de.Op)
	assert.Greater(t, de.Revision, r2)
	// History survives a delete.
	got, err = b.GetRevision(ctx, "k", r2)
	require.NoError(t, err)
	assert.Equal(t, "v2", string(got.Value))

	// Create over a delete marker succeeds.
	r3, err := b.Create(ctx, "k", []byte("v3"))
	require.NoError(t, err)
	assert.Greater(t, r3, de.Revision)

	// Purge removes the history and leaves a marker.
	require.NoError(t, b.Purge(ctx, "k"))
	_, err = b.Get(ctx, "k")
	require.ErrorAs(t, err, &de)
	assert.Equal(t, kv.OpPurge, de.Op)
	_, err = b.GetRevision(ctx, "k", r2)
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	st, err := b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), st.Values, "the purge marker and key other")

	// Purge with the wrong expected revision.
	assert.ErrorIs(t, b.Purge(ctx, "other", kv.LastRevision(1)), kv.ErrWrongRevision)
	require.NoError(t, b.Purge(ctx, "other", kv.LastRevision(other)))

	// Empty values are values.
	_, err = b.Put(ctx, "empty", nil)
	require.NoError(t, err)
	e, err = b.Get(ctx, "empty")
	require.NoError(t, err)
	assert.Empty(t, e.Value)
	assert.Equal(t, kv.OpPut, e.Operation)
}

// TestEntries_WrongBucket: operations on a deleted bucket.
func TestEntries_WrongBucket(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "gone"})
	require.NoError(t, s.Delete(ctx, "gone"))
	_, err := b.Put(ctx, "k", nil)
	assert.ErrorIs(t, err, js.ErrNoStreamResponse)
	_, err = b.Get(ctx, "k")
	assert.ErrorIs(t, err, js.ErrNoStreamResponse)
	_, err = b.Status(ctx)
	assert.ErrorIs(t, err, kv.ErrBucketNotFound)
}

// TestEntries_NoDirect reads a bucket whose stream has no allow_direct
// (as made by old clients) through STREAM.MSG.GET.
func TestEntries_NoDirect(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	_, err := s.JetStream().CreateStream(ctx, js.StreamConfig{
		Name: "KV_old", Subjects: []string{"$KV.old.>"}, MaxMsgsPerSubject: 5,
		AllowRollup: true, DenyDelete: true, Discard: js.DiscardNew,
	})
	require.NoError(t, err)
	b, err := s.Bucket(ctx, "old")
	require.NoError(t, err)
	r1, err := b.Put(ctx, "a.b", []byte("1"))
	require.NoError(t, err)
	_, err = b.Put(ctx, "a.b", []byte("2"))
	require.NoError(t, err)
	e, err := b.Get(ctx, "a.b")
	require.NoError(t, err)
	assert.Equal(t, "2", string(e.Value))
	e, err = b.GetRevision(ctx, "a.b", r1)
	require.NoError(t, err)
	assert.Equal(t, "1", string(e.Value))
	_, err = b.Get(ctx, "missing")
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	require.NoError(t, b.Delete(ctx, "a.b"))
	_, err = b.Get(ctx, "a.b")
	assert.ErrorIs(t, err, kv.ErrKeyDeleted)
}

// TestEntries_KeyTTLAndMarkers: per-key TTL on Create, a purge marker with
// its own TTL, and the server's MaxAge marker decoded.
func TestEntries_KeyTTLAndMarkers(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	plain := newBucket(t, s, kv.Config{Bucket: "plain"})
	_, err := plain.Create(ctx, "k", []byte("v"), kv.KeyTTL(time.Second))
	assert.ErrorIs(t, err, js.ErrTTLDisabled)

	b := newBucket(t, s, kv.Config{Bucket: "ttl", History: 3, LimitMarkerTTL: time.Second})
	rev, err := b.Create(ctx, "k", []byte("v"), kv.KeyTTL(time.Second))
	require.NoError(t, err)
	// The value expires; the server places a MaxAge marker, then the
	// marker itself expires.
	var marker *kv.Entry
	require.Eventually(t, func() bool {
		_, err := b.Get(ctx, "k")
		var de *kv.DeletedError
		if !errors.As(err, &de) {
			return false
		}
		marker, err = b.GetRevision(ctx, "k", de.Revision)
		return marker != nil
	}, 20*time.Second, 100*time.Millisecond)
	assert.Equal(t, kv.OpPurge, marker.Operation)
	assert.Equal(t, "MaxAge", marker.MarkerReason)
	assert.Greater(t, marker.Revision, rev)
	require.Eventually(t, func() bool {
		_, err := b.Get(ctx, "k")
		return errors.Is(err, kv.ErrKeyNotFound) && !errors.Is(err, kv.ErrKeyDeleted)
	}, 20*time.Second, 100*time.Millisecond)

	// A purge marker with a TTL goes away on its own.
	_, err = b.Put(ctx, "p", []byte("v"))
	require.NoError(t, err)
	require.NoError(t, b.Purge(ctx, "p", kv.KeyTTL(time.Second)))
	_, err = b.Get(ctx, "p")
	assert.ErrorIs(t, err, kv.ErrKeyDeleted)
	require.Eventually(t, func() bool {
		_, err := b.Get(ctx, "p")
		return errors.Is(err, kv.ErrKeyNotFound) && !errors.Is(err, kv.ErrKeyDeleted)
	}, 20*time.Second, 100*time.Millisecond)
}

// TestEntries_CASContention: 16 goroutines update one key by
// compare-and-set; every success has its own revision and the final value
// counts exactly the successes.
func TestEntries_CASContention(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "cas"})
	_, err := b.Put(ctx, "n", []byte("0"))
	require.NoError(t, err)

	const workers, perWorker = 16, 10
	var mu sync.Mutex
	revs := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < perWorker; {
				e, err := b.Get(ctx, "n")
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(e.Value))
				rev, err := b.Update(ctx, "n", []byte(strconv.Itoa(n+1)), e.Revision)
				if errors.Is(err, kv.ErrWrongRevision) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if revs[rev] {
					mu.Unlock()
					errs <- fmt.Errorf("revision %d twice", rev)
					return
				}
				revs[rev] = true
				mu.Unlock()
				done++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, revs, workers*perWorker)
	e, err := b.Get(ctx, "n")
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(workers*perWorker), string(e.Value))
}
