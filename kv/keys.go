package kv

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Keys yields the keys that have a live value, those matching any of
// filters ('*' tokens, a last '>'; none is every key), each once, in
// revision order of their latest entry. It streams: the keys come from a
// headers-only watch that ends with the initial data, and the watcher's
// bounded buffer holds the server back, so memory does not grow with the
// number of keys. Breaking out of the loop stops the watch.
func (b *Bucket) Keys(ctx context.Context, filters ...string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		w, err := b.Watch(ctx, filters, MetaOnly(), IgnoreDeletes())
		if err != nil {
			yield("", err)
			return
		}
		defer w.Stop()
		for {
			e, err := w.Next(ctx)
			if err != nil {
				yield("", err)
				return
			}
			if e == nil {
				return
			}
			if !yield(e.Key, nil) {
				return
			}
		}
	}
}

// ListKeys returns the keys of Keys on a channel, closed after the last
// key; the returned function reports the error that ended the listing
// early, once the channel is closed. Cancel ctx to stop early. The first
// key is read before ListKeys returns, so a missing bucket is its error.
func (b *Bucket) ListKeys(ctx context.Context, filters ...string) (<-chan string, func() error, error) {
	w, err := b.Watch(ctx, filters, MetaOnly(), IgnoreDeletes())
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan string, 256)
	var ferr error
	go func() {
		defer close(ch)
		defer w.Stop()
		for {
			e, err := w.Next(ctx)
			if err != nil {
				ferr = err
				return
			}
			if e == nil {
				return
			}
			select {
			case ch <- e.Key:
			case <-ctx.Done():
				ferr = ctx.Err()
				return
			}
		}
	}()
	return ch, func() error { return ferr }, nil
}

// History yields every stored revision of key, oldest first, markers
// included. A key with no entries yields ErrKeyNotFound.
func (b *Bucket) History(ctx context.Context, key string) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		if err := checkKey(key); err != nil {
			yield(nil, err)
			return
		}
		w, err := b.Watch(ctx, []string{key}, IncludeHistory())
		if err != nil {
			yield(nil, err)
			return
		}
		defer w.Stop()
		n := 0
		for {
			e, err := w.Next(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			if e == nil {
				if n == 0 {
					yield(nil, fmt.Errorf("%w: %s", ErrKeyNotFound, key))
				}
				return
			}
			n++
			if !yield(e, nil) {
				return
			}
		}
	}
}

// DefaultPurgeDeletesOlderThan is the age past which PurgeDeletes removes
// a marker itself, not only the values before it.
const DefaultPurgeDeletesOlderThan = 30 * time.Minute

// PurgeDeletesOption configures PurgeDeletes.
type PurgeDeletesOption func(*time.Duration)

// OlderThan removes the markers older than d with the values before them,
// and keeps younger markers (so watchers that were away a short while
// still learn of the delete). A negative d removes every marker. Default:
// DefaultPurgeDeletesOlderThan.
func OlderThan(d time.Duration) PurgeDeletesOption {
	return func(o *time.Duration) { *o = d }
}

// PurgeDeletes removes what delete and purge markers left: for each key
// whose latest entry is a marker, the values before it, and the marker
// too when it is older than OlderThan's limit. It returns how many keys
// it cleaned.
func (b *Bucket) PurgeDeletes(ctx context.Context, opts ...PurgeDeletesOption) (int, error) {
	olderThan := DefaultPurgeDeletesOlderThan
	for _, o := range opts {
		o(&olderThan)
	}
	w, err := b.WatchAll(ctx, MetaOnly())
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	limit := time.Now().Add(-olderThan)
	n := 0
	for {
		e, err := w.Next(ctx)
		if err != nil {
			return n, err
		}
		if e == nil {
			return n, nil
		}
		if e.Operation == OpPut {
			continue
		}
		var keep uint64
		if olderThan >= 0 && e.Created.After(limit) {
			keep = 1
		}
		if err := b.purgeKey(ctx, e.Key, keep); err != nil {
			return n, err
		}
		n++
	}
}
