package obj

import (
	"context"
	"iter"
	"sync"

	"github.com/starling-nats/starling/js"
)

// WatchOption changes Watch and WatchChan.
type WatchOption func(*watchOpts)

type watchOpts struct {
	ignoreDeletes, includeHistory, updatesOnly bool
}

// IgnoreDeletes skips deleted objects. Default: deletes are delivered
// with Deleted set.
func IgnoreDeletes() WatchOption { return func(o *watchOpts) { o.ignoreDeletes = true } }

// IncludeHistory delivers every meta version still stored, not only the
// latest per object. Default: the latest.
func IncludeHistory() WatchOption { return func(o *watchOpts) { o.includeHistory = true } }

// UpdatesOnly delivers only changes made after the watch starts, and no
// end-of-initial-data marker. Default: the current objects first.
func UpdatesOnly() WatchOption { return func(o *watchOpts) { o.updatesOnly = true } }

// watchBatch is how many meta messages one pull asks for.
const watchBatch = 64

// Watch yields the store's objects as they are and then as they change,
// until the loop stops or ctx ends (then it yields ctx's error). A
// (nil, nil) pair marks the end of the initial data: it comes once, after
// the last object that existed when the watch started, at once for an
// empty store, and never with UpdatesOnly. Breaking out of the loop
// deletes the watch's consumer.
func (s *Store) Watch(ctx context.Context, opts ...WatchOption) iter.Seq2[*Info, error] {
	var o watchOpts
	for _, opt := range opts {
		opt(&o)
	}
	return func(yield func(*Info, error) bool) {
		cfg := js.ConsumerConfig{FilterSubject: metaFilter(s.bucket), DeliverPolicy: js.DeliverLastPerSubject}
		switch {
		case o.updatesOnly:
			cfg.DeliverPolicy = js.DeliverNew
		case o.includeHistory:
			cfg.DeliverPolicy = js.DeliverAll
		}
		p, err := newOrderedPull(ctx, s.js, s.stream, cfg, watchBatch, DefaultHeartbeat, 0)
		if err != nil {
			yield(nil, storeErr(s.bucket, err))
			return
		}
		defer p.close(ctx)
		initial := !o.updatesOnly
		if initial && p.initialPending == 0 {
			initial = false
			if !yield(nil, nil) {
				return
			}
		}
		for {
			d, err := p.next(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			info, err := decodeInfo(d.data, d.stamp)
			p.recycle(d.buf)
			switch {
			case err != nil:
				if !yield(nil, err) {
					return
				}
			case info.Deleted && o.ignoreDeletes:
			default:
				if !yield(info, nil) {
					return
				}
			}
			if initial && d.pending == 0 {
				initial = false
				if !yield(nil, nil) {
					return
				}
			}
		}
	}
}

// Watcher delivers a watch on a channel, for select loops. Its goroutine
// runs the watch's consumer and ends with Stop or the context.
type Watcher struct {
	updates chan *Info
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	err     error
}

// WatchChan runs Watch on a goroutine and sends what it yields on
// Updates: a nil *Info is the end-of-initial-data marker. Updates is
// closed when the watch ends; Err then says why (nil after Stop).
func (s *Store) WatchChan(ctx context.Context, opts ...WatchOption) *Watcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{updates: make(chan *Info, 64), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.updates)
		for info, err := range s.Watch(ctx, opts...) {
			if err != nil {
				if ctx.Err() == nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
				return
			}
			select {
			case w.updates <- info:
			case <-ctx.Done():
				return
			}
		}
	}()
	return w
}

// Updates returns the channel of infos (nil: end of initial data).
func (w *Watcher) Updates() <-chan *Info { return w.updates }

// Stop ends the watch and waits until its consumer is deleted (at most
// 2 s) and its goroutine has returned.
func (w *Watcher) Stop() {
	w.cancel()
	<-w.done
}

// Err is why the watch ended; nil while it runs, after Stop, or when its
// context ended.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// List yields the store's objects, skipping deleted ones unless
// ShowDeleted is given, and ends after the last one. An empty store
// yields nothing and no error (nats.go returns ErrNoObjectsFound there).
func (s *Store) List(ctx context.Context, opts ...InfoOption) iter.Seq2[*Info, error] {
	var o infoOpts
	for _, opt := range opts {
		opt(&o)
	}
	var wopts []WatchOption
	if !o.showDeleted {
		wopts = append(wopts, IgnoreDeletes())
	}
	return func(yield func(*Info, error) bool) {
		for info, err := range s.Watch(ctx, wopts...) {
			if err != nil {
				yield(nil, err)
				return
			}
			if info == nil {
				return
			}
			if !yield(info, nil) {
				return
			}
		}
	}
}
