package obj_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/obj"
)

// §4.3 List: an empty store is an empty list (not an error, unlike
// nats.go); deleted objects only with ShowDeleted.
func TestList(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	s := newStore(t, j, "list")
	for _, err := range s.List(ctx) {
		require.NoError(t, err)
		t.Fatal("an object in an empty store")
	}
	for _, n := range []string{"a", "b", "c"} {
		_, err := s.PutString(ctx, n, n)
		require.NoError(t, err)
	}
	_, err := s.PutString(ctx, "a", "again")
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "b"))
	names := func(opts ...obj.InfoOption) []string {
		var out []string
		for info, err := range s.List(ctx, opts...) {
			require.NoError(t, err)
			out = append(out, info.Name)
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{"a", "c"}, names())
	assert.Equal(t, []string{"a", "b", "c"}, names(obj.ShowDeleted()))
	assert.Eventually(t, func() bool { return consumerCount(t, j, "list") == 0 }, 10*time.Second, 50*time.Millisecond)
}

// next reads one value of a pull iterator with a deadline.
func nextInfo(t *testing.T, next func() (*obj.Info, error, bool)) *obj.Info {
	t.Helper()
	info, err, ok := next()
	require.True(t, ok)
	require.NoError(t, err)
	return info
}

// §4.3 Watch: the current objects, the end-of-initial-data marker, then
// changes; IgnoreDeletes, IncludeHistory, UpdatesOnly.
func TestWatch(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	s := newStore(t, j, "watch")

	// An empty store: the marker at once.
	func() {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for info, err := range s.Watch(wctx) {
			require.NoError(t, err)
			assert.Nil(t, info)
			break
		}
	}()

	_, err := s.PutString(ctx, "a", "1")
	require.NoError(t, err)
	_, err = s.PutString(ctx, "a", "2")
	require.NoError(t, err)
	_, err = s.PutString(ctx, "b", "1")
	require.NoError(t, err)
	_, err = s.PutString(ctx, "gone", "1")
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "gone"))

	collect := func(opts ...obj.WatchOption) (initial []string, then func() *obj.Info, stop func()) {
		wctx, cancel := context.WithCancel(ctx)
		w := s.WatchChan(wctx, opts...)
		for info := range w.Updates() {
			if info == nil {
				break
			}
			tag := info.Name
			if info.Deleted {
				tag += "(deleted)"
			}
			initial = append(initial, tag)
		}
		then = func() *obj.Info {
			select {
			case info := <-w.Updates():
				return info
			case <-time.After(20 * time.Second):
				t.Fatal("no update")
				return nil
			}
		}
		stop = func() { w.Stop(); cancel(); assert.NoError(t, w.Err()) }
		return initial, then, stop
	}

	initial, then, stop := collect()
	slices.Sort(initial)
	assert.Equal(t, []string{"a", "b", "gone(deleted)"}, initial)
	_, err = s.PutString(ctx, "c", "new")
	require.NoError(t, err)
	assert.Equal(t, "c", then().Name)
	require.NoError(t, s.Delete(ctx, "c"))
	u := then()
	assert.Equal(t, "c", u.Name)
	assert.True(t, u.Deleted)
	stop()

	initial, then, stop = collect(obj.IgnoreDeletes())
	slices.Sort(initial)
	assert.Equal(t, []string{"a", "b"}, initial)
	require.NoError(t, s.Delete(ctx, "a"))
	_, err = s.PutString(ctx, "d", "x")
	require.NoError(t, err)
	assert.Equal(t, "d", then().Name, "the delete of a is skipped")
	stop()

	// History: the meta rollup keeps one message per name, so history is
	// each name's last meta, oldest first.
	initial, _, stop = collect(obj.IncludeHistory())
	assert.Len(t, initial, 5)
	stop()

	// UpdatesOnly: no initial data and no marker.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next, done := iterPull(s.Watch(wctx, obj.UpdatesOnly()))
	defer done()
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = s.PutString(context.Background(), "e", "x")
	}()
	assert.Equal(t, "e", nextInfo(t, next).Name)
	done()
	assert.Eventually(t, func() bool { return consumerCount(t, j, "watch") == 0 }, 10*time.Second, 50*time.Millisecond)
}
