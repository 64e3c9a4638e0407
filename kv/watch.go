package kv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// Watcher delivers a bucket's entries as they are written: first the
// current ones (unless UpdatesOnly), then a nil entry marking the end of
// that initial data (sent even when there was none, never with
// UpdatesOnly), then every update.
//
// A Watcher recovers by itself: when its consumer goes quiet (three to
// four missed heartbeats: a server restart, a lost route, a stream leader change) or
// skips a delivery, it recreates the consumer from the last revision it
// delivered, so no update is missed or repeated. Recovery runs while the
// reader waits in Next; a reader that comes back late finds its watcher
// recovered, not dead. A watcher that cannot recover (its bucket deleted,
// its connection closed) ends with an error from Next.
//
// Receive with Next, Entries (an iterator) or Updates (a channel); use one
// of them, from one goroutine at a time. Stop ends the watcher; it is safe
// to call at any time and from any goroutine.
type Watcher struct {
	b       *Bucket
	filters []string
	o       watchOpts
	ctx     context.Context
	cancel  context.CancelFunc
	stopCtx func() bool
	wake    chan struct{}

	mu    sync.Mutex
	queue entryQueue
	arena entryArena
	// gen numbers consumers; a message of an older one is dropped.
	gen      uint64
	sub      *core.Subscription
	consumer string
	// started: a consumer was created once, so lastSeq is where to resume.
	started bool
	// lastSeq is the stream sequence of the last entry queued (or skipped
	// as seen); lastCseq the consumer sequence of the last delivery.
	lastSeq, lastCseq uint64
	// heard counts the messages of the current consumer. handle only
	// counts: reading the clock for each message cost a seventh of a
	// watch's CPU. Next turns a change of the count into lastHeard.
	heard, heardSeen uint64
	lastHeard        time.Time
	needReset        bool
	initDone         bool
	initKnown        bool
	initPending      uint64
	received         uint64
	resetFails       int
	err              error
	stopped          bool

	stopOnce sync.Once
	chOnce   sync.Once
	ch       chan *Entry
	feedDone chan struct{}
}

// Watch watches the keys matching patterns (keys, or filters with '*'
// tokens and a last '>'; none or ">" is every key). ctx bounds the
// watcher's life: when it ends, the watcher stops. Watch returns once the
// consumer exists, so a missing bucket is reported here.
func (b *Bucket) Watch(ctx context.Context, patterns []string, opts ...WatchOption) (*Watcher, error) {
	o, err := watchOptions(opts)
	if err != nil {
		return nil, err
	}
	filters := make([]string, 0, max(len(patterns), 1))
	for _, p := range patterns {
		if err := checkFilter(p); err != nil {
			return nil, err
		}
		filters = append(filters, b.keyPrefix+p)
	}
	if len(filters) == 0 {
		filters = append(filters, b.keyPrefix+">")
	}
	w := &Watcher{b: b, filters: filters, o: o, wake: make(chan struct{}, 1)}
	w.queue.limit = o.buffer
	if o.resumeFrom > 0 {
		w.lastSeq, w.started = o.resumeFrom-1, true
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	if err := w.reset(ctx); err != nil {
		w.Stop()
		return nil, bucketNotFound(err)
	}
	w.stopCtx = context.AfterFunc(w.ctx, w.Stop)
	return w, nil
}

// WatchAll watches every key of the bucket.
func (b *Bucket) WatchAll(ctx context.Context, opts ...WatchOption) (*Watcher, error) {
	return b.Watch(ctx, nil, opts...)
}

// Next returns the next entry, waiting for one until ctx ends. A nil
// entry with a nil error is the end-of-initial-data marker. After Stop it
// returns ErrWatcherStopped; when the watcher could not recover, the
// error that ended it.
func (w *Watcher) Next(ctx context.Context) (*Entry, error) {
	backoff := 50 * time.Millisecond
	for {
		w.mu.Lock()
		if w.stopped {
			err := w.err
			w.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return nil, ErrWatcherStopped
		}
		if it, ok := w.queue.pop(); ok {
			w.mu.Unlock()
			switch {
			case it.flow != "":
				// Answering flow control only as the reader takes entries
				// is what holds the server back from a slow reader.
				_ = w.b.nc.PublishMsg(&core.Msg{Subject: it.flow})
				continue
			case it.entry == nil:
				return nil, nil
			}
			return it.entry, nil
		}
		if w.heard != w.heardSeen {
			w.heardSeen, w.lastHeard = w.heard, time.Now()
		}
		quietFor := 3 * w.o.heartbeat
		quiet := time.Since(w.lastHeard)
		due := w.needReset || quiet > quietFor
		// Messages are counted, not timed, so look again within a third of
		// the bound: a consumer gone quiet is noticed after 3 to 4
		// heartbeats.
		wait := min(quietFor-quiet, quietFor/3)
		w.mu.Unlock()

		if due {
			err := w.reset(ctx)
			if err == nil {
				backoff = 50 * time.Millisecond
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if w.terminal(err) {
				return nil, w.Err()
			}
			wait = backoff
			backoff = min(backoff*2, 2*time.Second)
		}
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-w.wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-w.ctx.Done():
		case <-w.b.nc.Closed():
			w.fail(fmt.Errorf("%w: %w", ErrWatcherStopped, core.ErrConnectionClosed))
		}
		t.Stop()
	}
}

// terminal decides whether a failed recreation ends the watcher: a
// closed connection does at once; a missing stream does when three
// attempts in a row say so (a restarting cluster may say it briefly).
func (w *Watcher) terminal(err error) bool {
	switch {
	case errors.Is(err, core.ErrConnectionClosed):
	case errors.Is(err, js.ErrStreamNotFound):
		w.mu.Lock()
		w.resetFails++
		n := w.resetFails
		w.mu.Unlock()
		if n < 3 {
			return false
		}
		err = &joined{ErrBucketNotFound, err}
	default:
		return false
	}
	w.fail(err)
	return true
}

// fail ends the watcher with err.
func (w *Watcher) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.stop()
}

// Entries iterates over the watcher's entries, the nil marker included,
// until ctx ends, the watcher stops (the loop then ends) or fails (its
// error is yielded).
func (w *Watcher) Entries(ctx context.Context) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		for {
			e, err := w.Next(ctx)
			if errors.Is(err, ErrWatcherStopped) && w.Err() == nil {
				return
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// Updates returns a channel of the watcher's entries, the nil marker
// included, closed when the watcher stops or fails (then Err says why).
// The first call starts the goroutine that feeds it.
func (w *Watcher) Updates() <-chan *Entry {
	w.chOnce.Do(func() {
		w.ch = make(chan *Entry, 64)
		done := make(chan struct{})
		w.mu.Lock()
		w.feedDone = done
		w.mu.Unlock()
		go w.feed(done)
	})
	return w.ch
}

func (w *Watcher) feed(done chan struct{}) {
	defer close(done)
	defer close(w.ch)
	for {
		e, err := w.Next(w.ctx)
		if err != nil {
			return
		}
		select {
		case w.ch <- e:
		case <-w.ctx.Done():
			return
		}
	}
}

// Err returns why the watcher ended on its own, or nil.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stop ends the watcher: its consumer is unsubscribed and deleted, Next
// returns ErrWatcherStopped and the Updates channel is closed. Entries
// already delivered stay valid. Safe to call more than once.
func (w *Watcher) Stop() {
	w.stop()
	// The feeder leaves at once: its sends select on w.ctx. Waiting for it
	// means no send can follow Stop's return.
	w.mu.Lock()
	done := w.feedDone
	w.mu.Unlock()
	if done != nil {
		<-done
	}
}

// stop does Stop's work without waiting for the feeder, for the paths the
// feeder itself runs (a failure found in Next).
func (w *Watcher) stop() {
	w.stopOnce.Do(func() {
		w.mu.Lock()
		w.stopped = true
		sub, name := w.sub, w.consumer
		w.sub, w.consumer = nil, ""
		w.gen++
		w.queue.clear()
		w.mu.Unlock()
		w.cancel()
		if w.stopCtx != nil {
			w.stopCtx()
		}
		if sub != nil {
			_ = sub.Unsubscribe()
		}
		if name != "" {
			w.b.deleteConsumer(name)
		}
		w.signal()
	})
}

func (w *Watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// reset (re)creates the consumer from where the watcher stands.
func (w *Watcher) reset(ctx context.Context) error {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return ErrWatcherStopped
	}
	w.gen++
	gen := w.gen
	w.needReset = false
	oldSub, oldName := w.sub, w.consumer
	w.sub, w.consumer = nil, ""
	w.lastCseq = 0
	w.received = 0
	w.initKnown = false
	cfg := consumerConfig{HeadersOnly: w.o.metaOnly, Heartbeat: w.o.heartbeat}
	switch {
	case w.started && (w.initDone || w.o.history || w.o.updatesOnly || w.o.resumeFrom > 0):
		// Resume after the last entry queued.
		cfg.DeliverPolicy, cfg.OptStartSeq = deliverByStartSeq, w.lastSeq+1
	case w.o.history:
		cfg.DeliverPolicy = deliverAll
	case w.o.updatesOnly:
		cfg.DeliverPolicy = deliverNew
	default:
		// The latest of each key, again if the initial data was cut
		// short: those up to lastSeq are skipped as already delivered.
		cfg.DeliverPolicy = deliverLastPerSubj
	}
	w.mu.Unlock()

	if oldSub != nil {
		_ = oldSub.Unsubscribe()
	}
	if oldName != "" {
		w.b.deleteConsumer(oldName)
	}
	if len(w.filters) == 1 {
		cfg.FilterSubject = w.filters[0]
	} else {
		cfg.FilterSubjects = w.filters
	}
	cfg.DeliverSubject = w.b.nc.NewInbox()
	sub, err := w.b.nc.SubscribeBorrowed(cfg.DeliverSubject, func(m *core.BorrowedMsg) { w.handle(gen, m) })
	if err != nil {
		w.markReset(gen)
		return err
	}
	info, err := w.b.createConsumer(ctx, cfg)
	if err != nil {
		_ = sub.Unsubscribe()
		w.markReset(gen)
		return err
	}

	w.mu.Lock()
	if w.stopped || w.gen != gen {
		w.mu.Unlock()
		_ = sub.Unsubscribe()
		w.b.deleteConsumer(info.Name)
		return ErrWatcherStopped
	}
	w.sub, w.consumer = sub, info.Name
	w.heardSeen, w.lastHeard = w.heard, time.Now()
	w.resetFails = 0
	if !w.started {
		w.started = true
		if w.o.updatesOnly {
			// Updates from here on: a later recreation resumes after the
			// stream's last sequence at this moment, missing nothing
			// written while it was down.
			w.lastSeq = info.Delivered.Stream
		}
	}
	w.initPending, w.initKnown = info.NumPending, true
	if !w.initDone && (info.NumPending == 0 || w.received >= info.NumPending) {
		w.finishInit()
	}
	w.mu.Unlock()
	w.signal()
	return nil
}

func (w *Watcher) markReset(gen uint64) {
	w.mu.Lock()
	if w.gen == gen {
		w.needReset = true
	}
	w.mu.Unlock()
}

// finishInit records the end of the initial data and queues its marker.
// w.mu is held.
func (w *Watcher) finishInit() {
	w.initDone = true
	if !w.o.updatesOnly {
		w.queue.pushMarker()
	}
}

// handle runs on the connection's reader goroutine for each message of
// consumer gen: it must not block.
func (w *Watcher) handle(gen uint64, m *core.BorrowedMsg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || gen != w.gen || w.needReset {
		return
	}
	w.heard++
	if st := m.Status(); st != 0 {
		w.control(st, m)
		return
	}
	meta, ok := parseAck(m.Reply)
	if !ok {
		// Not a consumer delivery: start over rather than guess.
		w.needReset = true
		w.signal()
		return
	}
	if meta.consumerSeq != w.lastCseq+1 {
		// A gap, or a consumer that started over (a clustered server
		// restarted its memory-only state): either way, recreate it from
		// the last entry queued. Trusting a restarted count would skip
		// what it redelivers below our own.
		w.needReset = true
		w.signal()
		return
	}
	w.lastCseq = meta.consumerSeq
	w.received++
	wasEmpty := w.queue.len() == 0
	if meta.streamSeq > w.lastSeq {
		if !w.queue.hasRoom() {
			// A reader this far behind: stop taking deliveries and resume
			// from the last entry queued once it has caught up.
			w.needReset = true
			w.signal()
			return
		}
		w.lastSeq = meta.streamSeq
		h := m.Header
		op := operation(h.Get(headerOperation), h.Get(headerMarkerReason))
		if op == OpPut || !w.o.ignoreDeletes {
			w.queue.push(w.arena.entry(w.b, m, meta, op))
		}
	}
	if !w.initDone && (meta.pending == 0 || w.initKnown && w.received >= w.initPending) {
		w.finishInit()
	}
	// A reader waits only on an empty queue; one that is draining finds
	// this entry without being woken, so a burst costs one wake-up.
	if wasEmpty && w.queue.len() > 0 {
		w.signal()
	}
}

// control handles a status message: heartbeats, flow control, and the
// server's word that the consumer is gone. w.mu is held.
func (w *Watcher) control(st int, m *core.BorrowedMsg) {
	if st != codec.StatusControlMsg {
		// 409 Consumer Deleted and the like: recreate.
		w.needReset = true
		w.signal()
		return
	}
	if len(m.Reply) > 0 {
		w.queue.pushFlow(string(m.Reply))
		w.signal()
		return
	}
	if s := m.Header.Get(headerConsumerStalld); len(s) > 0 {
		_ = w.b.nc.PublishMsg(&core.Msg{Subject: string(s)})
	}
	if v := m.Header.Get(headerLastConsumer); len(v) > 0 {
		if n, ok := parseUint(v); ok && n > w.lastCseq {
			// The consumer delivered something we never got.
			w.needReset = true
			w.signal()
		}
	}
}
