package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/internal/benchkit"
)

// benchResult is what one phase of a section measured.
type benchResult struct {
	section string
	name    string
	// total sums the clients of the phase over the span they covered
	// together; clients holds each one's own sample when there are several.
	total   benchkit.Sample
	clients benchkit.Group
	lost    int64             // pubsub: published but never received, summed over subscribers
	latency *benchkit.Latency // req: one Request call each
	notes   []string
	// interrupted says that ctx ended the phase early.
	interrupted bool
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

// pubCheckEvery is how many messages a publisher sends between looks at
// the stop flag and updates of the shared progress counter, which several
// publishers would otherwise contend for.
const pubCheckEvery = 1024

// publishLoop publishes up to n messages of data until stop is set, adding
// to sent for progress, and returns how many it published. The loop does
// what the nats CLI's does and less: no clock per message.
func publishLoop(nc *conn, subject string, data []byte, n int64, stop *stopFlag, sent *atomic.Int64) (int64, error) {
	var i, counted int64
	for i < n {
		if i-counted == pubCheckEvery {
			sent.Add(pubCheckEvery)
			counted = i
			if stop.Load() {
				break
			}
		}
		if err := nc.Publish(subject, data); err != nil {
			sent.Add(i - counted)
			return i, fmt.Errorf("publish: %w", err)
		}
		i++
	}
	sent.Add(i - counted)
	return i, nil
}

// publishers runs cfg.pubs publishers, each on a connection of its own,
// splitting msgs among them; each one's sample runs from its first publish
// to the answer to the PING after its last (the server has them all).
// ready is called when every publisher is connected, just before they start.
func publishers(ctx context.Context, l *link, cfg *benchConfig, stop *stopFlag, sent *atomic.Int64, ready func()) (benchkit.Group, error) {
	conns := make([]*conn, cfg.pubs)
	for i := range conns {
		nc, err := l.connect(ctx, fmt.Sprintf("starling bench publisher %d", i+1), cfg.pubOptions()...)
		if err != nil {
			return nil, err
		}
		conns[i] = nc
	}
	defer func() {
		for _, nc := range conns {
			l.release(nc)
		}
	}()
	if ready != nil {
		ready()
	}
	data := make([]byte, cfg.size)
	shares := benchkit.Split(cfg.msgs, cfg.pubs)
	group := make(benchkit.Group, cfg.pubs)
	errs := make([]error, cfg.pubs)
	var wg sync.WaitGroup
	for i, nc := range conns {
		wg.Go(func() {
			start := time.Now()
			n, err := publishLoop(nc, cfg.subject, data, shares[i], stop, sent)
			if err == nil {
				err = nc.Flush(ctx)
			}
			group[i] = benchkit.Sample{Msgs: n, Bytes: n * int64(cfg.size), Start: start, End: time.Now()}
			if err != nil {
				stop.Store(true)
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && ctx.Err() == nil {
			return group, err
		}
	}
	return group, nil
}

// benchPublish measures publishing alone: no subscriber.
func benchPublish(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	var sent atomic.Int64
	var done func()
	group, err := publishers(ctx, l, cfg, stop, &sent, func() {
		done = cfg.progress.start("publish", cfg.msgs, cfg.duration, sent.Load)
	})
	if done != nil {
		done()
	}
	if err != nil {
		return nil, err
	}
	res := benchResult{section: sectionPub, name: clientsName("publish", cfg.pubs, 0), total: group.Total(), interrupted: ctx.Err() != nil}
	if cfg.pubs > 1 {
		res.clients = group
	}
	return []benchResult{res}, nil
}

// subscriber is one subscribing connection of a pubsub run.
type subscriber struct {
	nc       *conn
	sub      *core.Subscription
	received atomic.Int64
	target   atomic.Int64 // how many will come: --msgs, or what was published
	end      atomic.Int64 // UnixNano of the last arrival
	once     sync.Once
	finished chan struct{}
}

func (s *subscriber) arrived() {
	if s.received.Add(1) == s.target.Load() {
		s.finish()
	}
}

func (s *subscriber) finish() {
	s.once.Do(func() {
		s.end.Store(time.Now().UnixNano())
		close(s.finished)
	})
}

// benchPubSub measures cfg.pubs publishers and cfg.subs subscribers, each
// on a connection of its own; every subscriber gets every message. A
// subscriber's clock runs from the first publish to the arrival of its last
// message. Messages that do not arrive within benchStall of the last one
// that did are reported lost.
func benchPubSub(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	subs := make([]*subscriber, cfg.subs)
	for i := range subs {
		nc, err := l.connect(ctx, fmt.Sprintf("starling bench subscriber %d", i+1))
		if err != nil {
			return nil, err
		}
		defer l.release(nc)
		s := &subscriber{nc: nc, finished: make(chan struct{})}
		s.target.Store(cfg.msgs)
		if cfg.owned {
			s.sub, err = nc.Subscribe(cfg.subject, func(*core.Msg) { s.arrived() })
		} else {
			s.sub, err = nc.SubscribeBorrowed(cfg.subject, func(*core.BorrowedMsg) { s.arrived() })
		}
		if err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		// Once the subscriber's PING is answered, the server routes to it.
		if err := nc.Flush(ctx); err != nil {
			return nil, ignoreCancel(ctx, err)
		}
		subs[i] = s
	}
	received := func() int64 {
		var n int64
		for _, s := range subs {
			n += s.received.Load()
		}
		return n / int64(len(subs))
	}

	stop := newStopFlag(ctx, cfg.duration)
	defer stop.release()
	var sent atomic.Int64
	var done func()
	var start time.Time
	pubs, err := publishers(ctx, l, cfg, stop, &sent, func() {
		done = cfg.progress.start("publish → subscribe", cfg.msgs, cfg.duration, received)
		start = time.Now()
	})
	if err != nil {
		if done != nil {
			done()
		}
		return nil, err
	}
	published := pubs.Total().Msgs
	for _, s := range subs {
		s.target.Store(published)
		if s.received.Load() >= published {
			s.finish()
		}
	}
	stalled := false
	for _, s := range subs {
		if waitArrivals(ctx, s.finished, &s.received) {
			stalled = true
			break
		}
	}
	if done != nil {
		done()
	}

	res := benchResult{section: sectionPubSub, name: clientsName("publish → subscribe", cfg.pubs, cfg.subs), interrupted: ctx.Err() != nil}
	group := make(benchkit.Group, len(subs))
	now := time.Now()
	for i, s := range subs {
		n := s.received.Load()
		end := now
		if !stalled && ctx.Err() == nil {
			end = time.Unix(0, s.end.Load())
		}
		group[i] = benchkit.Sample{Msgs: n, Bytes: n * int64(cfg.size), Start: start, End: end}
		res.lost += max(0, published-n)
		if d := s.sub.Dropped(); d > 0 {
			res.notes = append(res.notes, fmt.Sprintf("subscriber %d: %s messages dropped over its pending limits", i+1, commas(d)))
		}
	}
	res.total = group.Total()
	if cfg.subs > 1 {
		res.clients = group
	}
	pt := pubs.Total()
	res.notes = append(res.notes, fmt.Sprintf("publishers: %s msgs/s", commas(int64(pt.Rate()))))
	if res.lost > 0 && !res.interrupted {
		res.notes = append(res.notes, fmt.Sprintf("%s of %s messages lost (a slow consumer: the server or the client dropped them)", commas(res.lost), commas(published*int64(cfg.subs))))
	}
	return []benchResult{res}, nil
}

// clientsName is a phase's name with its client counts when not 1.
func clientsName(name string, pubs, subs int) string {
	switch {
	case pubs > 1 && subs > 1:
		return fmt.Sprintf("%s (%d pub, %d sub)", name, pubs, subs)
	case pubs > 1:
		return fmt.Sprintf("%s (%d pub)", name, pubs)
	case subs > 1:
		return fmt.Sprintf("%s (%d sub)", name, subs)
	}
	return name
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

// benchRequests measures request/reply against echoing repliers
// (cfg.repliers connections in a queue group, or with 0 a replier already
// answering on the subject in another process): first one request at a
// time (latency), then cfg.inflight requesters sharing one connection
// (throughput).
func benchRequests(ctx context.Context, l *link, cfg *benchConfig) ([]benchResult, error) {
	for i := range cfg.repliers {
		repc, err := l.connect(ctx, fmt.Sprintf("starling bench replier %d", i+1))
		if err != nil {
			return nil, err
		}
		defer l.release(repc)
		q := core.Queue("starling-bench")
		if cfg.owned {
			_, err = repc.Subscribe(cfg.subject, func(m *core.Msg) { _ = m.Respond(m.Data) }, q)
		} else {
			_, err = repc.SubscribeBorrowed(cfg.subject, func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) }, q)
		}
		if err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		if err := repc.Flush(ctx); err != nil {
			return nil, ignoreCancel(ctx, err)
		}
	}
	reqc, err := l.connect(ctx, "starling bench requester")
	if err != nil {
		return nil, err
	}
	defer l.release(reqc)
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
	h := benchkit.NewLatency()
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
		h.Record(time.Since(t0))
		n++
		count.Store(n)
	}
	return benchResult{
		section: sectionReq, name: "request/reply", latency: h, interrupted: ctx.Err() != nil,
		total: benchkit.Sample{Msgs: n, Bytes: 2 * n * int64(cfg.size), Start: start, End: time.Now()},
	}, nil
}

func benchInflight(ctx context.Context, nc *conn, cfg *benchConfig, data []byte) (benchResult, error) {
	var (
		h         = benchkit.NewLatency()
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
			// Each requester records into its own histogram, merged
			// once at the end: no lock per request.
			mine := benchkit.NewLatency()
			defer func() {
				hmu.Lock()
				h.Merge(mine)
				hmu.Unlock()
			}()
			for !stop.Load() && remaining.Add(-1) >= 0 {
				t0 := time.Now()
				if _, err := nc.Request(ctx, cfg.subject, data); err != nil {
					if ctx.Err() == nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("request: %w", err) })
					}
					stop.Store(true)
					return
				}
				mine.Record(time.Since(t0))
				count.Add(1)
			}
		})
	}
	wg.Wait()
	end := time.Now()
	done()
	if firstErr != nil {
		return benchResult{}, firstErr
	}
	n := count.Load()
	return benchResult{
		section: sectionReq, name: name, latency: h, interrupted: ctx.Err() != nil,
		total: benchkit.Sample{Msgs: n, Bytes: 2 * n * int64(cfg.size), Start: start, End: end},
	}, nil
}
