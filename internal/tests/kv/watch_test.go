package kv_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/kv"
)

// next reads one entry or fails the test.
func next(t *testing.T, w *kv.Watcher) *kv.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	e, err := w.Next(ctx)
	require.NoError(t, err)
	return e
}

// quiet checks that nothing arrives for d.
func quiet(t *testing.T, w *kv.Watcher, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	e, err := w.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "got %+v", e)
}

func TestWatch_InitialThenUpdates(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "w", History: 5})
	_, err := b.Put(ctx, "a", []byte("1"))
	require.NoError(t, err)
	_, err = b.Put(ctx, "a", []byte("2"))
	require.NoError(t, err)
	_, err = b.Put(ctx, "b.x", []byte("3"))
	require.NoError(t, err)

	w, err := b.WatchAll(ctx)
	require.NoError(t, err)
	defer w.Stop()
	e := next(t, w)
	assert.Equal(t, "a", e.Key)
	assert.Equal(t, "2", string(e.Value), "latest only")
	assert.Equal(t, uint64(1), e.Delta)
	e = next(t, w)
	assert.Equal(t, "b.x", e.Key)
	assert.Equal(t, uint64(0), e.Delta)
	assert.Nil(t, next(t, w), "end of initial data")

	rev, err := b.Put(ctx, "c", []byte("4"))
	require.NoError(t, err)
	e = next(t, w)
	assert.Equal(t, "c", e.Key)
	assert.Equal(t, rev, e.Revision)
	assert.Equal(t, "w", e.Bucket)
	assert.WithinDuration(t, time.Now(), e.Created, time.Minute)
	require.NoError(t, b.Delete(ctx, "a"))
	e = next(t, w)
	assert.Equal(t, kv.OpDelete, e.Operation)
	assert.Empty(t, e.Value)
	require.NoError(t, b.Purge(ctx, "c"))
	e = next(t, w)
	assert.Equal(t, kv.OpPurge, e.Operation)
	assert.Equal(t, "c", e.Key)

	w.Stop()
	_, err = w.Next(ctx)
	assert.ErrorIs(t, err, kv.ErrWatcherStopped)
}

func TestWatch_EmptyBucketMarker(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 30*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "empty"})
	w, err := b.WatchAll(ctx)
	require.NoError(t, err)
	defer w.Stop()
	assert.Nil(t, next(t, w))

	// UpdatesOnly never sends the marker.
	u, err := b.WatchAll(ctx, kv.UpdatesOnly())
	require.NoError(t, err)
	defer u.Stop()
	_, err = b.Put(ctx, "k", []byte("v"))
	require.NoError(t, err)
	e := next(t, u)
	require.NotNil(t, e)
	assert.Equal(t, "k", e.Key)
	e = next(t, w)
	require.NotNil(t, e)
	assert.Equal(t, "k", e.Key)
}

func TestWatch_Options(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "opts", History: 10})
	var revs []uint64
	for i, k := range []string{"a.1", "a.2", "b.1", "a.1"} {
		r, err := b.Put(ctx, k, []byte(fmt.Sprint(i)))
		require.NoError(t, err)
		revs = append(revs, r)
	}
	require.NoError(t, b.Delete(ctx, "a.2"))

	collect := func(w *kv.Watcher) (keys []string, vals []string) {
		t.Helper()
		defer w.Stop()
		for {
			e := next(t, w)
			if e == nil {
				return
			}
			keys = append(keys, e.Key+":"+e.Operation.String())
			vals = append(vals, string(e.Value))
		}
	}
	w, err := b.WatchAll(ctx, kv.IncludeHistory())
	require.NoError(t, err)
	keys, _ := collect(w)
	assert.Equal(t, []string{"a.1:PUT", "a.2:PUT", "b.1:PUT", "a.1:PUT", "a.2:DEL"}, keys)

	w, err = b.WatchAll(ctx, kv.IgnoreDeletes())
	require.NoError(t, err)
	keys, _ = collect(w)
	assert.Equal(t, []string{"b.1:PUT", "a.1:PUT"}, keys)

	w, err = b.Watch(ctx, []string{"a.*"})
	require.NoError(t, err)
	keys, _ = collect(w)
	assert.Equal(t, []string{"a.1:PUT", "a.2:DEL"}, keys)

	w, err = b.Watch(ctx, []string{"b.>", "a.2"})
	require.NoError(t, err)
	keys, _ = collect(w)
	assert.Equal(t, []string{"b.1:PUT", "a.2:DEL"}, keys)

	w, err = b.WatchAll(ctx, kv.MetaOnly())
	require.NoError(t, err)
	keys, vals := collect(w)
	assert.Len(t, keys, 3)
	assert.Equal(t, []string{"", "", ""}, vals)

	w, err = b.WatchAll(ctx, kv.ResumeFromRevision(revs[2]))
	require.NoError(t, err)
	defer w.Stop()
	assert.Equal(t, "b.1", next(t, w).Key)
	assert.Equal(t, "a.1", next(t, w).Key)
	e := next(t, w)
	assert.Equal(t, kv.OpDelete, e.Operation)
	assert.Nil(t, next(t, w))

	_, err = b.WatchAll(ctx, kv.UpdatesOnly(), kv.IncludeHistory())
	assert.ErrorIs(t, err, kv.ErrInvalidOption)
	_, err = b.Watch(ctx, []string{"a..b"})
	assert.ErrorIs(t, err, kv.ErrInvalidKey)
}

func TestWatch_IteratorAndChannel(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "it"})
	_, err := b.Put(ctx, "k", []byte("v"))
	require.NoError(t, err)

	w, err := b.WatchAll(ctx)
	require.NoError(t, err)
	var got []*kv.Entry
	for e, err := range w.Entries(ctx) {
		require.NoError(t, err)
		if e == nil {
			break
		}
		got = append(got, e)
	}
	w.Stop()
	require.Len(t, got, 1)

	w, err = b.WatchAll(ctx)
	require.NoError(t, err)
	ch := w.Updates()
	e := <-ch
	require.NotNil(t, e)
	assert.Equal(t, "k", e.Key)
	assert.Nil(t, <-ch)
	_, err = b.Put(ctx, "k2", []byte("v"))
	require.NoError(t, err)
	select {
	case e := <-ch:
		assert.Equal(t, "k2", e.Key)
	case <-time.After(10 * time.Second):
		t.Fatal("no update on the channel")
	}
	w.Stop()
	for range ch {
	}
	assert.NoError(t, w.Err())

	// Ending the context stops the watcher and closes its channel.
	wctx, cancel := context.WithCancel(ctx)
	w, err = b.WatchAll(wctx)
	require.NoError(t, err)
	ch = w.Updates()
	cancel()
	for range ch {
	}
	w.Stop()
}

// TestWatch_StopRace stops watchers while updates flow into them, with
// readers on both the channel and Next (run with -race).
func TestWatch_StopRace(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "race"})
	stop := make(chan struct{})
	var pub sync.WaitGroup
	pub.Add(1)
	go func() {
		defer pub.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = b.Put(ctx, fmt.Sprintf("k%d", i%50), []byte("v"))
		}
	}()
	for i := 0; i < 20; i++ {
		w, err := b.WatchAll(ctx)
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Add(1)
		if i%2 == 0 {
			ch := w.Updates()
			go func() {
				defer wg.Done()
				for range ch {
				}
			}()
		} else {
			go func() {
				defer wg.Done()
				for {
					if _, err := w.Next(ctx); err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(i) * time.Millisecond)
		w.Stop()
		wg.Wait()
	}
	close(stop)
	pub.Wait()
}

func TestKeysAndHistory(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "keys", History: 5})

	for k := range b.Keys(ctx) {
		t.Fatalf("empty bucket yielded %q", k)
	}
	for _, k := range []string{"a.1", "a.2", "b.1", "c", "a.1"} {
		_, err := b.Put(ctx, k, []byte("v-"+k))
		require.NoError(t, err)
	}
	require.NoError(t, b.Delete(ctx, "c"))
	keys := func(filters ...string) []string {
		var out []string
		for k, err := range b.Keys(ctx, filters...) {
			require.NoError(t, err)
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{"a.1", "a.2", "b.1"}, keys())
	assert.Equal(t, []string{"a.1", "a.2"}, keys("a.*"))
	assert.Equal(t, []string{"a.1", "b.1"}, keys("a.1", "b.>"))
	assert.Empty(t, keys("zzz"))
	for _, err := range b.Keys(ctx, "a..") {
		assert.ErrorIs(t, err, kv.ErrInvalidKey)
	}
	// Breaking early stops the watch.
	for range b.Keys(ctx) {
		break
	}

	ch, errf, err := b.ListKeys(ctx, "a.>")
	require.NoError(t, err)
	var listed []string
	for k := range ch {
		listed = append(listed, k)
	}
	require.NoError(t, errf())
	slices.Sort(listed)
	assert.Equal(t, []string{"a.1", "a.2"}, listed)

	var hist []string
	for e, err := range b.History(ctx, "a.1") {
		require.NoError(t, err)
		hist = append(hist, string(e.Value))
	}
	assert.Equal(t, []string{"v-a.1", "v-a.1"}, hist)
	hist = nil
	for e, err := range b.History(ctx, "c") {
		require.NoError(t, err)
		hist = append(hist, e.Operation.String())
	}
	assert.Equal(t, []string{"PUT", "DEL"}, hist)
	for _, err := range b.History(ctx, "nope") {
		assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	}
}

func TestPurgeDeletes(t *testing.T) {
	_, _, s := newStore(t)
	ctx := testCtx(t, 60*time.Second)
	b := newBucket(t, s, kv.Config{Bucket: "pd", History: 5})
	for _, k := range []string{"a", "a", "b", "c"} {
		_, err := b.Put(ctx, k, []byte("v"))
		require.NoError(t, err)
	}
	require.NoError(t, b.Delete(ctx, "a"))
	require.NoError(t, b.Purge(ctx, "b"))

	// Young markers stay, the values before them go.
	n, err := b.PurgeDeletes(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	st, err := b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), st.Values, "two markers and c")

	n, err = b.PurgeDeletes(ctx, kv.OlderThan(-1))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	st, err = b.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st.Values)
	_, err = b.Get(ctx, "a")
	assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	assert.NotErrorIs(t, err, kv.ErrKeyDeleted)
}
