package js

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

// Errors of push consumers.
var (
	// ErrNotPushConsumer: ConsumePush on a consumer without a deliver
	// subject.
	ErrNotPushConsumer = errors.New("js: consumer has no deliver subject")
	// ErrConsumerSequenceGap: a push consumer's delivery skipped consumer
	// sequences (seen in a message or in a heartbeat's
	// Nats-Last-Consumer): messages were lost on the way, and will be
	// redelivered after their ack wait if they need acks.
	ErrConsumerSequenceGap = errors.New("js: consumer sequence gap")
	// ErrPushOverflow: the push consumer's handler fell behind by more
	// than PushMaxPending messages; the excess was dropped.
	ErrPushOverflow = errors.New("js: push consumer handler behind, messages dropped")
)

// DefaultPushMaxPending bounds the messages a push consume holds for its
// handler.
const DefaultPushMaxPending = 65536

// PushOption configures ConsumePush.
type PushOption func(*pushOpts) error

type pushOpts struct {
	errHandler func(error)
	maxPending int
}

// PushErrorHandler receives what the push consume notices: missed
// heartbeats (ErrNoHeartbeat, once per silence of 3 heartbeat intervals),
// sequence gaps, overflows, and the error that ended it. It runs on the
// consume's own goroutine. Default: none.
func PushErrorHandler(h func(error)) PushOption {
	return func(o *pushOpts) error { o.errHandler = h; return nil }
}

// PushMaxPending bounds the messages waiting for the handler; beyond it
// they are dropped and reported (ErrPushOverflow). Default:
// DefaultPushMaxPending.
func PushMaxPending(n int) PushOption {
	return func(o *pushOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: push max pending %d", ErrInvalidOption, n)
		}
		o.maxPending = n
		return nil
	}
}

// ConsumePush subscribes to a push consumer's deliver subject (in its
// deliver group, if it has one) and calls handler with each message on a
// goroutine of its own. It answers each flow-control request once and the
// subject a heartbeat names in Nats-Consumer-Stalled, checks consumer
// sequences for gaps (not in a deliver group, where other members get the
// rest), and raises ErrNoHeartbeat when the consumer's idle heartbeats
// stop for 3 intervals.
func (c *Consumer) ConsumePush(ctx context.Context, handler func(*Msg), opts ...PushOption) (*ConsumeContext, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	o := pushOpts{maxPending: DefaultPushMaxPending}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	ci := c.CachedInfo()
	if ci == nil {
		var err error
		if ci, err = c.Info(ctx); err != nil {
			return nil, err
		}
	}
	if ci.Config.DeliverSubject == "" {
		return nil, ErrNotPushConsumer
	}
	p := &pushSession{
		nc:       c.js.nc,
		o:        o,
		handler:  handler,
		hb:       ci.Config.Heartbeat,
		grouped:  ci.Config.DeliverGroup != "",
		ready:    make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		pending:  2,
		lastCseq: ci.Delivered.Consumer,
	}
	var subOpts []core.SubOption
	if p.grouped {
		subOpts = append(subOpts, core.Queue(ci.Config.DeliverGroup))
	}
	sub, err := p.nc.SubscribeBorrowed(ci.Config.DeliverSubject, p.onMsg, subOpts...)
	if err != nil {
		return nil, err
	}
	p.sub = sub
	go p.deliver()
	go p.watch()
	return &ConsumeContext{p: p}, nil
}

// pushSession is one running ConsumePush.
type pushSession struct {
	nc      Conn
	o       pushOpts
	handler func(*Msg)
	hb      time.Duration
	grouped bool
	sub     *core.Subscription

	recv atomic.Uint64
	// Reader goroutine only.
	lastCseq uint64
	lastFC   string

	mu         sync.Mutex
	head, tail *Msg
	queued     int
	warns      []error
	err        error
	stopped    bool
	pending    int

	ready chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

func (p *pushSession) warn(err error) {
	p.mu.Lock()
	p.warns = append(p.warns, err)
	p.mu.Unlock()
}

func (p *pushSession) onMsg(bm *core.BorrowedMsg) {
	p.recv.Add(1)
	if len(bm.Data) == 0 && bm.Header.Status() == 100 {
		if len(bm.Reply) > 0 {
			// Flow control: answer each request once, even if the
			// server repeats it.
			if string(bm.Reply) != p.lastFC {
				p.lastFC = string(bm.Reply)
				_ = bm.Respond(nil)
			}
			return
		}
		if stalled := bm.Header.Get("Nats-Consumer-Stalled"); len(stalled) > 0 && string(stalled) != p.lastFC {
			p.lastFC = string(stalled)
			_ = p.nc.PublishRequest(p.lastFC, "", nil)
		}
		if !p.grouped {
			if v, ok := parseUint(bytesView(bm.Header.Get("Nats-Last-Consumer"))); ok && v > p.lastCseq {
				p.warn(fmt.Errorf("%w: heartbeat says %d, last received %d", ErrConsumerSequenceGap, v, p.lastCseq))
				p.lastCseq = v
			}
		}
		return
	}
	if !p.grouped {
		if md, err := parseMetadata(bytesView(bm.Reply)); err == nil {
			if p.lastCseq > 0 && md.ConsumerSeq > p.lastCseq+1 {
				p.warn(fmt.Errorf("%w: %d after %d", ErrConsumerSequenceGap, md.ConsumerSeq, p.lastCseq))
			}
			if md.ConsumerSeq > p.lastCseq {
				p.lastCseq = md.ConsumerSeq
			}
		}
	}
	m := newMsg(p.nc, bm.Subject, bm.Reply, bm.Header, bm.Data)
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	if p.queued >= p.o.maxPending {
		p.warns = append(p.warns, ErrPushOverflow)
		p.mu.Unlock()
		return
	}
	p.queued++
	if p.tail == nil {
		p.head = m
	} else {
		p.tail.next = m
	}
	p.tail = m
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (p *pushSession) end(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped, p.err = true, err
	p.head, p.tail, p.queued = nil, nil, 0
	_ = p.sub.Unsubscribe()
	close(p.stop)
}

func (p *pushSession) exited() {
	p.mu.Lock()
	p.pending--
	last := p.pending == 0
	p.mu.Unlock()
	if last {
		close(p.done)
	}
}

func (p *pushSession) deliver() {
	defer p.exited()
	for {
		p.mu.Lock()
		m := p.head
		if m != nil {
			p.head = m.next
			if p.head == nil {
				p.tail = nil
			}
			m.next = nil
			p.queued--
		}
		p.mu.Unlock()
		if m != nil {
			p.handler(m)
			continue
		}
		select {
		case <-p.ready:
		case <-p.stop:
			return
		}
	}
}

// watch raises the alarms: missed heartbeats, and the connection's end.
func (p *pushSession) watch() {
	defer p.exited()
	tick := time.Second
	if p.hb > 0 {
		tick = min(max(p.hb/2, 20*time.Millisecond), time.Second)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last, lastSeen, alarmed := p.recv.Load(), time.Now(), false
	for {
		select {
		case <-p.stop:
			p.report(true)
			return
		case <-p.nc.Closed():
			p.end(core.ErrConnectionClosed)
			continue
		case now := <-t.C:
			if r := p.recv.Load(); r != last {
				last, lastSeen, alarmed = r, now, false
			} else if p.hb > 0 && !alarmed && now.Sub(lastSeen) > 3*p.hb {
				alarmed = true
				p.warn(fmt.Errorf("%w: nothing for %v (heartbeat %v)", ErrNoHeartbeat, now.Sub(lastSeen).Round(time.Millisecond), p.hb))
			}
		}
		p.report(false)
	}
}

func (p *pushSession) report(final bool) {
	p.mu.Lock()
	warns := p.warns
	p.warns = nil
	err := p.err
	p.mu.Unlock()
	if h := p.o.errHandler; h != nil {
		for _, w := range warns {
			h(w)
		}
		if final && err != nil {
			h(err)
		}
	}
}
