package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

// benchResult is what one phase of a section measured.
type benchResult struct {
	section string
	name    string
	msgs    int64         // messages published or received, or round trips
	elapsed time.Duration // from the first message to the last one's arrival
	bytes   int64         // payload bytes counted for MB/s
	lost    int64         // pubsub: published but never received
	latency *histogram    // req: one Request call each
	notes   []string
	// interrupted says that ctx ended the phase early.
	interrupted bool
}

func (r *benchResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.msgs) / r.elapsed.Seconds()
}

func (r *benchResult) mbps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.bytes) / 1e6 / r.elapsed.Seconds()
}

// stopFlag ends a phase early: its --duration passed, ctx ended, or a
// worker failed. Loops load it every few messages, which is cheaper than
// reading the clock.
type stopFlag struct {
	atomic.Bool
	release func()
}

func newStopFlag(ctx context.Context, d time.Duration) *stopFlag {
	s := &stopFlag{}
	stopCtx := context.AfterFunc(ctx, func() { s.Store(true) })
	var t *time.Timer
	if d > 0 {
		t = time.AfterFunc(d, func() { s.Store(true) })
	}
	s.release = func() {
		stopCtx()
		if t != nil {
			t.Stop()
		}
	}
	return s
}

// publishLoop publishes up to n messages of data until stop is set, keeping
// sent up to date for progress, and returns how many it published.
func publishLoop(nc *conn, subject string, data []byte, n int64, stop *stopFlag, sent *atomic.Int64) (int64, error) {
	var i int64
	for i < n {
		// Every 256 messages: often enough for progress and --duration,
		// rarely enough to cost nothing.
		if i&255 == 0 {
			sent.Store(i)
			if stop.Load() {
				break
			}
		}
		if err := nc.Publish(subject, data); err != nil {
			sent.Store(i)
			return i, fmt.Errorf("publish: %w", err)
		}
		i++
	}
	sent.Store(i)
	return i, nil
}

// benchPublish measures publishing alone: no subscriber, the clock stops
// when the server has answered a PING sent after the last message.
func benchPublish(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	nc, err := l.connect(ctx, "starling bench publisher")
	if err != nil {
		return nil, err
	}
	defer l.release(nc)
	data := make([]byte, cfg.size)
	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	var sent atomic.Int64
	done := cfg.progress.start("publish", cfg.msgs, cfg.duration, sent.Load)
	start := time.Now()
	n, err := publishLoop(nc, cfg.subject, data, cfg.msgs, stop, &sent)
	if err == nil {
		err = nc.Flush(ctx)
	}
	elapsed := time.Since(start)
	done()
	res := benchResult{section: sectionPub, name: "publish", msgs: n, elapsed: elapsed, bytes: n * int64(cfg.size)}
	if ctx.Err() != nil {
		res.interrupted = true
		return []benchResult{res}, nil
	}
	if err != nil {
		return nil, err
	}
	return []benchResult{res}, nil
}

// benchPubSub measures one publisher and one subscriber on two
// connections: the clock runs from the first publish to the arrival of the
// last message. Messages that do not arrive within benchStall of the last
// one that did are reported lost.
func benchPubSub(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	subc, err := l.connect(ctx, "starling bench subscriber")
	if err != nil {
		return nil, err
	}
	defer l.release(subc)
	pubc, err := l.connect(ctx, "starling bench publisher")
	if err != nil {
		return nil, err
	}
	defer l.release(pubc)

	var (
		received atomic.Int64
		target   atomic.Int64 // how many will come: --msgs, or what was published
		endAt    atomic.Int64 // UnixNano of the last arrival
		once     sync.Once
		finished = make(chan struct{})
	)
	target.Store(cfg.msgs)
	finish := func() {
		once.Do(func() {
			endAt.Store(time.Now().UnixNano())
			close(finished)
		})
	}
	arrived := func() {
		if received.Add(1) == target.Load() {
			finish()
		}
	}
	var sub *core.Subscription
	if cfg.owned {
		sub, err = subc.Subscribe(cfg.subject, func(*core.Msg) { arrived() })
	} else {
		sub, err = subc.SubscribeBorrowed(cfg.subject, func(*core.BorrowedMsg) { arrived() })
	}
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	// Once the subscriber's PING is answered, the server routes to it.
	if err := subc.Flush(ctx); err != nil {
		return nil, ignoreCancel(ctx, err)
	}

	data := make([]byte, cfg.size)
	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	var sent atomic.Int64
	done := cfg.progress.start("publish → subscribe", cfg.msgs, cfg.duration, received.Load)
	start := time.Now()
	n, err := publishLoop(pubc, cfg.subject, data, cfg.msgs, stop, &sent)
	if err == nil {
		err = pubc.Flush(ctx)
	}
	pubElapsed := time.Since(start)
	if err != nil && ctx.Err() == nil {
		done()
		return nil, err
	}
	target.Store(n)
	if received.Load() >= n {
		finish()
	}
	stalled := waitArrivals(ctx, finished, &received)
	done()

	res := benchResult{section: sectionPubSub, name: "publish → subscribe", msgs: received.Load()}
	res.bytes = res.msgs * int64(cfg.size)
	if stalled || ctx.Err() != nil {
		res.elapsed = time.Since(start)
	} else {
		res.elapsed = time.Duration(endAt.Load() - start.UnixNano())
	}
	res.lost = max(0, n-res.msgs)
	res.interrupted = ctx.Err() != nil
	if pubElapsed > 0 {
		res.notes = append(res.notes, fmt.Sprintf("publisher: %s msgs/s", commas(int64(float64(n)/pubElapsed.Seconds()))))
	}
	if d := sub.Dropped(); d > 0 {
		res.notes = append(res.notes, fmt.Sprintf("%s messages dropped by the subscriber over its pending limits", commas(d)))
	}
	if res.lost > 0 && !res.interrupted {
		res.notes = append(res.notes, fmt.Sprintf("%s of %s messages lost (a slow consumer: the server or the client dropped them)", commas(res.lost), commas(n)))
	}
	return []benchResult{res}, nil
}

// waitArrivals waits until finished closes, ctx ends, or received stops
// growing for benchStall (then it returns true).
func waitArrivals(ctx context.Context, finished <-chan struct{}, received *atomic.Int64) (stalled bool) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last, lastChange := received.Load(), time.Now()
	for {
		select {
		case <-finished:
			return false
		case <-ctx.Done():
			return false
		case now := <-tick.C:
			if n := received.Load(); n != last {
				last, lastChange = n, now
			} else if now.Sub(lastChange) >= benchStall {
				return true
			}
		}
	}
}

// benchRequests measures request/reply against an echoing replier: first
// one request at a time (latency), then cfg.inflight requesters sharing one
// connection (throughput).
func benchRequests(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	repc, err := l.connect(ctx, "starling bench replier")
	if err != nil {
		return nil, err
	}
	defer l.release(repc)
	reqc, err := l.connect(ctx, "starling bench requester")
	if err != nil {
		return nil, err
	}
	defer l.release(reqc)
	if cfg.owned {
		_, err = repc.Subscribe(cfg.subject, func(m *core.Msg) { _ = m.Respond(m.Data) })
	} else {
		_, err = repc.SubscribeBorrowed(cfg.subject, func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	}
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if err := repc.Flush(ctx); err != nil {
		return nil, ignoreCancel(ctx, err)
	}
	data := make([]byte, cfg.size)
	for range benchWarmup {
		if _, err := reqc.Request(ctx, cfg.subject, data); err != nil {
			return nil, ignoreCancel(ctx, fmt.Errorf("request: %w", err))
		}
	}

	seq, err := benchSequential(ctx, reqc, cfg, data)
	results := []benchResult{seq}
	if err != nil || ctx.Err() != nil || cfg.inflight <= 1 {
		return results, err
	}
	par, err := benchInflight(ctx, reqc, cfg, data)
	return append(results, par), err
}

func benchSequential(ctx context.Context, nc *conn, cfg *benchConfig, data []byte) (benchResult, error) {
	h := new(histogram)
	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	var count atomic.Int64
	done := cfg.progress.start("request/reply", cfg.reqs, cfg.duration, count.Load)
	defer done()
	start := time.Now()
	var n int64
	for n < cfg.reqs && !stop.Load() {
		t0 := time.Now()
		if _, err := nc.Request(ctx, cfg.subject, data); err != nil {
			if ctx.Err() != nil {
				break
			}
			return benchResult{}, fmt.Errorf("request: %w", err)
		}
		h.record(time.Since(t0))
		n++
		count.Store(n)
	}
	return benchResult{
		section: sectionReq, name: "request/reply", msgs: n, elapsed: time.Since(start),
		bytes: 2 * n * int64(cfg.size), latency: h, interrupted: ctx.Err() != nil,
	}, nil
}

// latencyBatch is how many latencies a requester keeps before adding them
// to the shared histogram, so that requesters rarely meet at its lock.
const latencyBatch = 128

func benchInflight(ctx context.Context, nc *conn, cfg *benchConfig, data []byte) (benchResult, error) {
	var (
		h         = new(histogram)
		hmu       sync.Mutex
		remaining atomic.Int64
		count     atomic.Int64
		errOnce   sync.Once
		firstErr  error
		wg        sync.WaitGroup
	)
	remaining.Store(cfg.reqs)
	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	name := fmt.Sprintf("request/reply, %d in flight", cfg.inflight)
	done := cfg.progress.start(name, cfg.reqs, cfg.duration, count.Load)
	start := time.Now()
	for range cfg.inflight {
		wg.Go(func() {
			batch := make([]time.Duration, 0, latencyBatch)
			flush := func() {
				hmu.Lock()
				for _, d := range batch {
					h.record(d)
				}
				hmu.Unlock()
				batch = batch[:0]
			}
			defer flush()
			for !stop.Load() && remaining.Add(-1) >= 0 {
				t0 := time.Now()
				if _, err := nc.Request(ctx, cfg.subject, data); err != nil {
					if ctx.Err() == nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("request: %w", err) })
					}
					stop.Store(true)
					return
				}
				batch = append(batch, time.Since(t0))
				count.Add(1)
				if len(batch) == latencyBatch {
					flush()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	done()
	if firstErr != nil {
		return benchResult{}, firstErr
	}
	n := count.Load()
	return benchResult{
		section: sectionReq, name: name, msgs: n, elapsed: elapsed,
		bytes: 2 * n * int64(cfg.size), latency: h, interrupted: ctx.Err() != nil,
	}, nil
}
