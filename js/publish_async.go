package js

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/starling-nats/starling/core"
)

// asyncPublisher matches async publishes to their acks. Each in-flight
// publish holds one slot of a fixed table (the window); its reply subject
// "<inbox>.<slot>.<gen>" is built once per slot and reused while acks
// come back, so a publish allocates nothing but its future. A slot whose
// publish ended without an ack (timeout, reset) moves to the next
// generation, so a late ack for it cannot settle the slot's next future.
type asyncPublisher struct {
	nc      Conn
	prefix  string // "<inbox>."
	timeout time.Duration
	sub     *core.Subscription

	mu      sync.Mutex
	slots   []asyncSlot
	free    []int32
	pending int
	closed  error
	room    chan struct{} // closed when a slot frees; made by a waiter
	idle    chan struct{} // closed when pending reaches 0; made by a waiter
	queue   deadlineQueue

	kick  chan struct{}
	quit  chan struct{}
	ended chan struct{}

	parser ackParser // used by the reply handler only (reader goroutine)

	// removeListener stops the connection events (nil without them).
	removeListener func()
}

type asyncSlot struct {
	fut      *PubAckFuture
	gen      uint32
	reply    string
	replyGen uint32
	replyOK  bool
}

// publisher returns the context's async publisher, starting it (its reply
// subscription and timeout goroutine) on first use.
func (js *JetStream) publisher() (*asyncPublisher, error) {
	js.asyncOnce.Do(func() {
		p := &asyncPublisher{
			nc:      js.nc,
			prefix:  js.nc.NewInbox() + ".",
			timeout: js.opts.asyncAckTimeout,
			slots:   make([]asyncSlot, js.opts.asyncMaxPending),
			free:    make([]int32, js.opts.asyncMaxPending),
			kick:    make(chan struct{}, 1),
			quit:    make(chan struct{}),
			ended:   make(chan struct{}),
		}
		for i := range p.free {
			p.free[i] = int32(len(p.free) - 1 - i)
		}
		sub, err := js.nc.SubscribeBorrowed(p.prefix+"*.*", p.handle)
		if err != nil {
			js.asyncErr = err
			return
		}
		p.sub = sub
		if es, ok := js.nc.(EventSource); ok {
			p.removeListener = es.AddEventListener(p.onEvent)
		}
		go p.expire()
		js.async.Store(p)
	})
	if js.asyncErr != nil {
		return nil, js.asyncErr
	}
	return js.async.Load(), nil
}

// PublishAsync sends data to subject and returns at once with a future for
// its ack. ctx bounds only the wait for room in the window (see
// WithPublishAsyncMaxPending, WithPublishAsyncNoWait); the ack's wait is
// bounded by WithPublishAsyncTimeout. Unlike Publish, a 503 is not retried
// and a timeout is not republished: the future reports them
// (ErrNoStreamResponse, ErrAckTimeout), and the caller decides. A ctx
// already ended sends nothing and returns its error.
func (js *JetStream) PublishAsync(ctx context.Context, subject string, data []byte, opts ...PubOption) (*PubAckFuture, error) {
	return js.publishAsync(ctx, subject, nil, data, opts)
}

// PublishMsgAsync is PublishAsync for a message with headers.
func (js *JetStream) PublishMsgAsync(ctx context.Context, m *core.Msg, opts ...PubOption) (*PubAckFuture, error) {
	return js.publishAsync(ctx, m.Subject, m.Header, m.Data, opts)
}

func (js *JetStream) publishAsync(ctx context.Context, subject string, hdr core.Header, data []byte, opts []PubOption) (*PubAckFuture, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing sent
	}
	p, err := js.publisher()
	if err != nil {
		return nil, err
	}
	if len(opts) > 0 {
		var o pubOpts
		for _, opt := range opts {
			if err := opt(&o); err != nil {
				return nil, err
			}
		}
		if o.ackWait != 0 {
			// Every async publish shares the context's ack timeout, which
			// keeps the deadlines in order (one timer for all).
			return nil, fmt.Errorf("%w: AckWait applies to Publish; async publishes use WithPublishAsyncTimeout", ErrInvalidOption)
		}
		if o.level > 0 {
			if err := js.requireLevel(ctx, o.feature, o.level); err != nil {
				return nil, err
			}
		}
		hdr = o.header(hdr)
	}
	f := &PubAckFuture{}
	idx, gen, reply, err := p.acquire(ctx, f, js.opts.asyncNoWait)
	if err != nil {
		return nil, err
	}
	if len(hdr) == 0 {
		err = js.nc.PublishRequest(subject, reply, data)
	} else {
		err = js.nc.PublishMsg(&core.Msg{Subject: subject, Reply: reply, Header: hdr, Data: data})
	}
	if err != nil {
		p.release(idx, gen, f, err)
		return nil, err
	}
	return f, nil
}

// acquire waits for a free slot and gives it to f.
func (p *asyncPublisher) acquire(ctx context.Context, f *PubAckFuture, noWait bool) (int32, uint32, string, error) {
	p.mu.Lock()
	for len(p.free) == 0 && p.closed == nil {
		if noWait {
			p.mu.Unlock()
			return 0, 0, "", ErrAsyncPublishFull
		}
		if p.room == nil {
			p.room = make(chan struct{})
		}
		room := p.room
		p.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return 0, 0, "", fmt.Errorf("%w: %w", ErrAsyncPublishFull, ctx.Err())
		}
		p.mu.Lock()
	}
	if p.closed != nil {
		err := p.closed
		p.mu.Unlock()
		return 0, 0, "", err
	}
	idx := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	s := &p.slots[idx]
	s.fut = f
	if !s.replyOK || s.replyGen != s.gen {
		s.reply = p.prefix + strconv.Itoa(int(idx)) + "." + strconv.FormatUint(uint64(s.gen), 10)
		s.replyGen, s.replyOK = s.gen, true
	}
	p.pending++
	// Acks mostly come in order: drop the settled entries at the front so
	// the queue holds about as many entries as the window.
	for p.queue.len() > 0 {
		e := p.queue.front()
		if ps := &p.slots[e.idx]; ps.fut == e.fut && ps.gen == e.gen {
			break
		}
		p.queue.pop()
	}
	wasEmpty := p.queue.len() == 0
	p.queue.push(deadlineEntry{at: time.Now().Add(p.timeout).UnixNano(), idx: idx, gen: s.gen, fut: f})
	gen, reply := s.gen, s.reply
	p.mu.Unlock()
	if wasEmpty {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return idx, gen, reply, nil
}

// release frees slot idx if it still belongs to f and settles f with err.
// An ended publish without an ack moves the slot to its next generation.
func (p *asyncPublisher) release(idx int32, gen uint32, f *PubAckFuture, err error) {
	p.mu.Lock()
	ok := p.freeSlot(idx, gen, f, err != nil)
	p.mu.Unlock()
	if ok {
		f.settle(err)
	}
}

// freeSlot is release under p.mu.
func (p *asyncPublisher) freeSlot(idx int32, gen uint32, f *PubAckFuture, bump bool) bool {
	s := &p.slots[idx]
	if s.fut != f || s.gen != gen || f == nil {
		return false
	}
	s.fut = nil
	if bump {
		s.gen++
	}
	p.free = append(p.free, idx)
	p.pending--
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
	if p.pending == 0 && p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
	return true
}

// handle settles the future an ack is for. It runs on the connection's
// reader goroutine with a borrowed message: it parses in place.
func (p *asyncPublisher) handle(m *core.BorrowedMsg) {
	idx, gen, ok := parseSlotToken(m.Subject[len(p.prefix):])
	if !ok {
		return
	}
	p.mu.Lock()
	if int(idx) >= len(p.slots) {
		p.mu.Unlock()
		return
	}
	f := p.slots[idx].fut
	if f == nil || p.slots[idx].gen != gen {
		p.mu.Unlock()
		return
	}
	var err error
	if st := m.Status(); st == 503 {
		err = ErrNoStreamResponse
	} else if st != 0 {
		err = fmt.Errorf("%w: publish reply status %d", ErrInvalidResponse, st)
	} else {
		err = p.parser.parse(m.Data, &f.ack)
	}
	p.freeSlot(idx, gen, f, err != nil)
	p.mu.Unlock()
	f.settle(err)
}

// parseSlotToken reads "<slot>.<gen>".
func parseSlotToken(b []byte) (int32, uint32, bool) {
	var idx, gen uint64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		if b[i] < '0' || b[i] > '9' || i > 9 {
			return 0, 0, false
		}
		idx = idx*10 + uint64(b[i]-'0')
	}
	if i == 0 || i >= len(b)-1 {
		return 0, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		if b[j] < '0' || b[j] > '9' || j-i > 10 {
			return 0, 0, false
		}
		gen = gen*10 + uint64(b[j]-'0')
	}
	if idx > 1<<30 || gen > 1<<32-1 {
		return 0, 0, false
	}
	return int32(idx), uint32(gen), true
}

// onEvent fails the pending futures when the connection drops: an ack the
// server sent on the lost session never comes, and a publish still in the
// reconnect buffer goes out later with a reply subject nobody waits on.
func (p *asyncPublisher) onEvent(e core.Event) {
	if e.Kind == core.EventDisconnected {
		p.failAll(ErrConnectionReset)
	}
}

// expire fails futures whose ack is overdue, and every future when the
// connection closes. It is the publisher's one goroutine.
func (p *asyncPublisher) expire() {
	defer close(p.ended)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-p.nc.Closed():
			p.close(fmt.Errorf("%w: %w", ErrPublisherClosed, core.ErrConnectionClosed))
			return
		case <-p.kick:
		case <-t.C:
		}
		next := p.sweep(time.Now().UnixNano())
		if next > 0 {
			t.Reset(time.Duration(next - time.Now().UnixNano()))
		}
	}
}

// sweep fails the futures due by now and returns the next deadline (0:
// none).
func (p *asyncPublisher) sweep(now int64) int64 {
	var due []*PubAckFuture
	p.mu.Lock()
	for p.queue.len() > 0 {
		e := p.queue.front()
		if e.at > now && p.slots[e.idx].fut == e.fut && p.slots[e.idx].gen == e.gen {
			p.mu.Unlock()
			settleAll(due, ErrAckTimeout)
			return e.at
		}
		p.queue.pop()
		if e.at <= now && p.freeSlot(e.idx, e.gen, e.fut, true) {
			due = append(due, e.fut)
		}
	}
	p.mu.Unlock()
	settleAll(due, ErrAckTimeout)
	return 0
}

func settleAll(fs []*PubAckFuture, err error) {
	for _, f := range fs {
		f.settle(err)
	}
}

// failAll settles every pending future with err; the publisher stays
// usable (a reconnect).
func (p *asyncPublisher) failAll(err error) {
	var fs []*PubAckFuture
	p.mu.Lock()
	for i := range p.slots {
		s := &p.slots[i]
		if s.fut != nil {
			f := s.fut
			p.freeSlot(int32(i), s.gen, f, true)
			fs = append(fs, f)
		}
	}
	p.queue.reset()
	p.mu.Unlock()
	settleAll(fs, err)
}

// close fails every pending future with err and refuses new publishes.
func (p *asyncPublisher) close(err error) {
	p.mu.Lock()
	if p.closed != nil {
		p.mu.Unlock()
		return
	}
	p.closed = err
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
	p.mu.Unlock()
	p.failAll(err)
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	if p.sub != nil {
		_ = p.sub.Unsubscribe()
	}
	if p.removeListener != nil {
		p.removeListener()
	}
}

// PublishAsyncPending returns how many async publishes wait for their ack.
func (js *JetStream) PublishAsyncPending() int {
	p := js.async.Load()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

// PublishAsyncComplete waits until no async publish waits for its ack (each
// has settled: acked, failed or timed out), or ctx ends.
func (js *JetStream) PublishAsyncComplete(ctx context.Context) error {
	p := js.async.Load()
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if p.pending == 0 {
		p.mu.Unlock()
		return nil
	}
	if p.idle == nil {
		p.idle = make(chan struct{})
	}
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ResetPublishAsync fails every pending async publish with
// ErrConnectionReset. A connection that is an EventSource (*core.Conn)
// does it on every disconnect by itself; call it for one that is not.
func (js *JetStream) ResetPublishAsync() {
	if p := js.async.Load(); p != nil {
		p.failAll(ErrConnectionReset)
	}
}
