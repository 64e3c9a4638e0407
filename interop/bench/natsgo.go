package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// nats.go's side of every case, each written as nats.go's documentation
// shows it, with default options.

// natsTimeout bounds nats.go's flushes and requests, which take durations
// rather than contexts.
const natsTimeout = 30 * time.Second

func connectNats(e *env, name string) (*nats.Conn, *connEvents, error) {
	ev := &connEvents{}
	nc, err := nats.Connect(e.url, nats.Name(name),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { ev.disconnects.Add(1) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				ev.slow.Add(1)
			}
		}))
	return nc, ev, err
}

func closeNats(nc *nats.Conn) {
	if nc != nil {
		nc.Close()
	}
}

// natsPub publishes with Publish and ends each run with Flush.
type natsPub struct {
	inMsgsCheck
	nc      *nats.Conn
	subject string
	data    []byte
}

func openNatsPub(size int) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		nc, _, err := connectNats(e, "bench-nats-pub")
		if err != nil {
			return nil, err
		}
		return &natsPub{inMsgsCheck: inMsgsCheck{e: e}, nc: nc, subject: subject, data: payload(size)}, nil
	}
}

func (p *natsPub) run(_ context.Context, n int64) (outcome, error) {
	for range n {
		if err := p.nc.Publish(p.subject, p.data); err != nil {
			return outcome{}, err
		}
	}
	if err := p.nc.FlushTimeout(natsTimeout); err != nil {
		return outcome{}, err
	}
	return outcome{done: n}, nil
}

func (p *natsPub) close() { closeNats(p.nc) }

// natsPubSub publishes on one connection to an asynchronous callback
// subscription on another, both in this process.
type natsPubSub struct {
	pub, subc *nats.Conn
	ev        *connEvents
	sub       *nats.Subscription
	cnt       *counter
	subject   string
	data      []byte
	msg       *nats.Msg // with a header: published with PublishMsg
	stall     time.Duration
}

func openNatsPubSub(size int, header bool) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		p := &natsPubSub{cnt: newCounter(), subject: subject, data: payload(size), stall: e.cfg.stall}
		if header {
			p.msg = &nats.Msg{Subject: p.subject, Header: nats.Header{benchHeaderKey: {benchHeaderValue}}, Data: p.data}
		}
		var err error
		if p.subc, p.ev, err = connectNats(e, "bench-nats-sub"); err != nil {
			return nil, err
		}
		p.sub, err = p.subc.Subscribe(p.subject, func(*nats.Msg) { p.cnt.hit() })
		if err == nil {
			err = p.subc.FlushTimeout(natsTimeout)
		}
		if err == nil {
			p.pub, _, err = connectNats(e, "bench-nats-pub")
		}
		if err != nil {
			p.close()
			return nil, err
		}
		return p, nil
	}
}

func (p *natsPubSub) run(ctx context.Context, n int64) (outcome, error) {
	disc0, slow0 := p.ev.snapshot()
	dropped0, _ := p.sub.Dropped()
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
	if err := p.pub.FlushTimeout(natsTimeout); err != nil {
		return outcome{}, err
	}
	got := p.cnt.wait(ctx, n, p.stall)
	out := outcome{done: min(got, n), lost: max(n-got, 0)}
	if out.lost > 0 {
		dropped, _ := p.sub.Dropped()
		out.note = p.ev.explain(disc0, slow0, int64(dropped-dropped0))
	}
	return out, nil
}

func (p *natsPubSub) close() {
	closeNats(p.pub)
	closeNats(p.subc)
}

// natsReq sends requests with Request to a replier on another connection
// that answers from an asynchronous callback with Respond.
type natsReq struct {
	req, rep *nats.Conn
	inflight int
	subject  string
	data     []byte
	lat      []time.Duration
}

func openNatsReq(inflight int) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		r := &natsReq{inflight: inflight, subject: subject, data: payload(16)}
		var err error
		if r.rep, _, err = connectNats(e, "bench-nats-replier"); err != nil {
			return nil, err
		}
		_, err = r.rep.Subscribe(r.subject, func(m *nats.Msg) { _ = m.Respond(m.Data) })
		if err == nil {
			err = r.rep.FlushTimeout(natsTimeout)
		}
		if err == nil {
			r.req, _, err = connectNats(e, "bench-nats-requester")
		}
		if err != nil {
			r.close()
			return nil, err
		}
		return r, nil
	}
}

func (r *natsReq) prepare(n int64) {
	if r.inflight == 1 && int64(cap(r.lat)) < n {
		r.lat = make([]time.Duration, n)
	}
}

func (r *natsReq) run(_ context.Context, n int64) (outcome, error) {
	if r.inflight == 1 {
		lat := r.lat[:n]
		for i := range lat {
			t0 := time.Now()
			if _, err := r.req.Request(r.subject, r.data, natsTimeout); err != nil {
				return outcome{}, err
			}
			lat[i] = time.Since(t0)
		}
		return outcome{done: n, lat: lat}, nil
	}
	return inParallel(n, r.inflight, func() error {
		_, err := r.req.Request(r.subject, r.data, natsTimeout)
		return err
	})
}

func (r *natsReq) close() {
	closeNats(r.req)
	closeNats(r.rep)
}

// natsIdle measures what n idle callback subscriptions cost.
type natsIdle struct{ e *env }

func openNatsIdle(e *env, _ string) (runner, error) { return &natsIdle{e: e}, nil }

func (r *natsIdle) run(_ context.Context, n int64) (outcome, error) {
	nc, _, err := connectNats(r.e, "bench-nats-idle")
	if err != nil {
		return outcome{}, err
	}
	base := goroutines()
	defer func() {
		nc.Close()
		// Each subscription's goroutine ends after Close; wait for them
		// so the next run starts from the same place.
		waitGoroutines(base)
	}()
	handler := func(*nats.Msg) {}
	before := heapAndStack()
	for _, subject := range r.e.subjects[:n] {
		if _, err := nc.Subscribe(subject, handler); err != nil {
			return outcome{}, err
		}
	}
	if err := nc.FlushTimeout(natsTimeout); err != nil {
		return outcome{}, err
	}
	after := heapAndStack()
	if got := nc.NumSubscriptions(); int64(got) != n {
		return outcome{}, fmt.Errorf("subscriptions: %d", got)
	}
	return outcome{done: n, perSub: float64(after-before) / float64(n)}, nil
}

func (r *natsIdle) close() {}
