package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

// Starling's side of every case. Each runner uses the client the way its
// documentation recommends for the job, with default options.

// connEvents counts what a connection reported that can explain lost
// messages.
type connEvents struct {
	disconnects atomic.Int64
	slow        atomic.Int64
}

func (c *connEvents) snapshot() (int64, int64) { return c.disconnects.Load(), c.slow.Load() }

// explain says why messages were lost, from the events since a snapshot.
func (c *connEvents) explain(disc0, slow0, dropped int64) string {
	disc, slow := c.snapshot()
	return fmt.Sprintf("dropped by the client: %d, slow-consumer events: %d, disconnects: %d", dropped, slow-slow0, disc-disc0)
}

func connectStarling(e *env, name string) (*core.Conn, *connEvents, error) {
	ev := &connEvents{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := core.Connect(ctx, e.url, core.WithName(name), core.WithEventHandler(func(x core.Event) {
		switch x.Kind {
		case core.EventDisconnected:
			ev.disconnects.Add(1)
		case core.EventSlowConsumer:
			ev.slow.Add(1)
		}
	}))
	return c, ev, err
}

func closeStarling(c *core.Conn) {
	if c == nil {
		return
	}
	c.Close()
	<-c.Closed()
}

// starlingPub publishes with Publish and ends each run with Flush.
type starlingPub struct {
	inMsgsCheck
	c       *core.Conn
	subject string
	data    []byte
}

func openStarlingPub(size int) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		c, _, err := connectStarling(e, "bench-starling-pub")
		if err != nil {
			return nil, err
		}
		return &starlingPub{inMsgsCheck: inMsgsCheck{e: e}, c: c, subject: subject, data: payload(size)}, nil
	}
}

func (p *starlingPub) run(ctx context.Context, n int64) (outcome, error) {
	for range n {
		if err := p.c.Publish(p.subject, p.data); err != nil {
			return outcome{}, err
		}
	}
	if err := p.c.Flush(ctx); err != nil {
		return outcome{}, err
	}
	return outcome{done: n}, nil
}

func (p *starlingPub) close() { closeStarling(p.c) }

// starlingPubSub publishes on one connection to a subscription on another,
// both in this process: a borrowed handler (on the reader goroutine) or an
// owned one (its own goroutine, a *Msg per message).
type starlingPubSub struct {
	pub, subc *core.Conn
	ev        *connEvents
	sub       *core.Subscription
	cnt       *counter
	subject   string
	data      []byte
	msg       *core.Msg // with a header: published with PublishMsg
	stall     time.Duration
}

func openStarlingPubSub(size int, header, owned bool) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		p := &starlingPubSub{cnt: newCounter(), subject: subject, data: payload(size), stall: e.cfg.stall}
		if header {
			p.msg = &core.Msg{Subject: p.subject, Header: core.Header{benchHeaderKey: {benchHeaderValue}}, Data: p.data}
		}
		var err error
		if p.subc, p.ev, err = connectStarling(e, "bench-starling-sub"); err != nil {
			return nil, err
		}
		if owned {
			p.sub, err = p.subc.Subscribe(p.subject, func(*core.Msg) { p.cnt.hit() })
		} else {
			p.sub, err = p.subc.SubscribeBorrowed(p.subject, func(*core.BorrowedMsg) { p.cnt.hit() })
		}
		if err == nil {
			err = flushStarling(p.subc)
		}
		if err == nil {
			p.pub, _, err = connectStarling(e, "bench-starling-pub")
		}
		if err != nil {
			p.close()
			return nil, err
		}
		return p, nil
	}
}

func flushStarling(c *core.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Flush(ctx)
}

func (p *starlingPubSub) run(ctx context.Context, n int64) (outcome, error) {
	disc0, slow0 := p.ev.snapshot()
	dropped0 := p.sub.Dropped()
	p.cnt.reset(n)
	for range n {
		var err error
		if p.msg != nil {
			err = p.pub.PublishMsg(p.msg)
		} else {
			err = p.pub.Publish(p.subject, p.data)
		}
		if err != nil {
			return outcome{}, err
		}
	}
	if err := p.pub.Flush(ctx); err != nil {
		return outcome{}, err
	}
	got := p.cnt.wait(ctx, n, p.stall)
	out := outcome{done: min(got, n), lost: max(n-got, 0)}
	if out.lost > 0 {
		out.note = p.ev.explain(disc0, slow0, p.sub.Dropped()-dropped0)
	}
	return out, nil
}

func (p *starlingPubSub) close() {
	closeStarling(p.pub)
	closeStarling(p.subc)
}

// starlingReq sends requests with Request to a replier on another
// connection that answers from a borrowed handler with Respond. The
// requests share one context with a deadline, as a caller with its own
// deadline would pass, so Request adds no timer of its own.
type starlingReq struct {
	req, rep *core.Conn
	inflight int
	subject  string
	data     []byte
	lat      []time.Duration
}

func openStarlingReq(inflight int) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		r := &starlingReq{inflight: inflight, subject: subject, data: payload(16)}
		var err error
		if r.rep, _, err = connectStarling(e, "bench-starling-replier"); err != nil {
			return nil, err
		}
		_, err = r.rep.SubscribeBorrowed(r.subject, func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
		if err == nil {
			err = flushStarling(r.rep)
		}
		if err == nil {
			r.req, _, err = connectStarling(e, "bench-starling-requester")
		}
		if err != nil {
			r.close()
			return nil, err
		}
		return r, nil
	}
}

func (r *starlingReq) prepare(n int64) {
	if r.inflight == 1 && int64(cap(r.lat)) < n {
		r.lat = make([]time.Duration, n)
	}
}

func (r *starlingReq) run(ctx context.Context, n int64) (outcome, error) {
	if r.inflight == 1 {
		lat := r.lat[:n]
		for i := range lat {
			t0 := time.Now()
			if _, err := r.req.Request(ctx, r.subject, r.data); err != nil {
				return outcome{}, err
			}
			lat[i] = time.Since(t0)
		}
		return outcome{done: n, lat: lat}, nil
	}
	return inParallel(n, r.inflight, func() error {
		_, err := r.req.Request(ctx, r.subject, r.data)
		return err
	})
}

func (r *starlingReq) close() {
	closeStarling(r.req)
	closeStarling(r.rep)
}

// inParallel runs n calls of do on workers goroutines, each starting its
// next call when its last returned, so workers requests are in flight.
// Failed calls count as lost, and the first error is the note. Nothing is
// allocated per call here, so allocations per round trip are the client's.
func inParallel(n int64, workers int, do func() error) (outcome, error) {
	var next, failed atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= n {
				if err := do(); err != nil {
					failed.Add(1)
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	out := outcome{done: n - failed.Load(), lost: failed.Load()}
	if first != nil {
		out.note = "first error: " + first.Error()
	}
	return out, nil
}

// starlingIdle measures what n idle owned-handler subscriptions cost.
type starlingIdle struct{ e *env }

func openStarlingIdle(e *env, _ string) (runner, error) { return &starlingIdle{e: e}, nil }

func (r *starlingIdle) run(ctx context.Context, n int64) (outcome, error) {
	c, _, err := connectStarling(r.e, "bench-starling-idle")
	if err != nil {
		return outcome{}, err
	}
	defer closeStarling(c)
	handler := func(*core.Msg) {}
	before := heapAndStack()
	for _, subject := range r.e.subjects[:n] {
		if _, err := c.Subscribe(subject, handler); err != nil {
			return outcome{}, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		return outcome{}, err
	}
	after := heapAndStack()
	if got := c.NumSubscriptions(); int64(got) != n {
		return outcome{}, errors.New("subscriptions: " + fmt.Sprint(got))
	}
	return outcome{done: n, perSub: float64(after-before) / float64(n)}, nil
}

func (r *starlingIdle) close() {}
