package core

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nuid"
)

// respMux routes replies to waiting requests through one wildcard
// subscription (<inbox prefix>.<nuid>.*), created on the first request:
// one SUB per connection instead of one per request. Each request takes a
// token; its entry leaves the map on reply, timeout or cancellation.
//
// Lock order: respMux.mu may be held while subscribing (subTable, writer);
// the reader takes it while holding nothing.
type respMux struct {
	c       *Conn
	mu      sync.Mutex
	prefix  string // "<inbox prefix>.<nuid>."
	sub     *Subscription
	next    uint64
	waiters map[uint64]*respWaiter
	peak    int
	free    []*respWaiter
	closed  bool
}

// respWaiter is one request's place in the mux. Waiters are reused, so a
// request allocates nothing but its reply.
type respWaiter struct {
	ch   chan *Msg // one reply (Request)
	many *replyQueue
}

func (m *respMux) init(c *Conn) {
	m.c = c
	m.waiters = make(map[uint64]*respWaiter)
}

// RequestOption configures one request.
type RequestOption func(*requestConfig)

type requestConfig struct {
	uniqueInbox bool
	// RequestMany
	maxMsgs  int
	stall    time.Duration
	sentinel func(*Msg) bool
}

// UniqueInbox makes the request subscribe to an inbox of its own instead of
// sharing the connection's reply subscription: a SUB and UNSUB per request,
// for servers whose permissions allow only exact reply subjects. Default:
// the shared subscription.
func UniqueInbox() RequestOption {
	return func(r *requestConfig) { r.uniqueInbox = true }
}

// NewInbox returns a unique subject under the inbox prefix, for replies.
func (c *Conn) NewInbox() string {
	return c.opts.inboxPrefix + "." + nuid.Next()
}

// register takes a token for a request and returns its waiter and the reply
// subject appended to dst.
func (m *respMux) register(dst []byte, many bool) (*respWaiter, uint64, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, 0, dst, ErrConnectionClosed
	}
	if m.sub == nil {
		prefix := m.c.opts.inboxPrefix + "." + nuid.Next() + "."
		s := &Subscription{kind: subBorrowed, borrowed: m.handle, internal: true}
		if _, err := m.c.subscribe(prefix+"*", s, nil); err != nil {
			return nil, 0, dst, err
		}
		m.prefix, m.sub = prefix, s
	}
	var w *respWaiter
	if n := len(m.free); n > 0 && !many {
		w = m.free[n-1]
		m.free = m.free[:n-1]
	} else if many {
		w = &respWaiter{many: newReplyQueue(m.c.opts.pending.msgs)}
	} else {
		w = &respWaiter{ch: make(chan *Msg, 1)}
	}
	m.next++
	id := m.next
	m.waiters[id] = w
	if len(m.waiters) > m.peak {
		m.peak = len(m.waiters)
	}
	dst = append(dst, m.prefix...)
	dst = strconv.AppendUint(dst, id, 36)
	return w, id, dst, nil
}

// done removes a request's entry and recycles its waiter. A reply that
// raced in is discarded with it.
func (m *respMux) done(id uint64, w *respWaiter) {
	m.mu.Lock()
	delete(m.waiters, id)
	if w.ch != nil {
		select {
		case <-w.ch:
		default:
		}
		if len(m.free) < 1024 {
			m.free = append(m.free, w)
		}
	}
	// A burst of requests grows the map; Go maps never shrink, so start
	// over once it is empty again.
	if len(m.waiters) == 0 && m.peak > 1024 {
		m.waiters = make(map[uint64]*respWaiter)
		m.peak = 0
	}
	m.mu.Unlock()
}

// pending returns how many requests wait for replies.
func (m *respMux) pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// handle runs on the reader goroutine for every reply.
func (m *respMux) handle(bm *BorrowedMsg) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(bm.Subject) <= len(m.prefix) {
		return
	}
	id, ok := parseToken(bm.Subject[len(m.prefix):])
	if !ok {
		return
	}
	w := m.waiters[id]
	if w == nil {
		return // timed out or cancelled already
	}
	msg := newOwnedMsg(m.c, nil, bm.Subject, bm.Reply, []byte(bm.Header), bm.Data)
	if w.many != nil {
		w.many.push(msg)
		return
	}
	delete(m.waiters, id)
	w.ch <- msg // buffered, and only one reply per entry: never blocks
}

// closeAll wakes every waiting request (the Conn closed).
func (m *respMux) closeAll() {
	m.mu.Lock()
	m.closed = true
	for id, w := range m.waiters {
		delete(m.waiters, id)
		if w.many != nil {
			w.many.close()
		}
	}
	m.mu.Unlock()
}

// parseToken reads a base-36 token.
func parseToken(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 13 {
		return 0, false
	}
	var n uint64
	for _, ch := range b {
		var d byte
		switch {
		case ch >= '0' && ch <= '9':
			d = ch - '0'
		case ch >= 'a' && ch <= 'z':
			d = ch - 'a' + 10
		default:
			return 0, false
		}
		n = n*36 + uint64(d)
	}
	return n, true
}

// Request publishes data to subject and returns the first reply. It fails
// with ErrNoResponders when nobody listens, or with ctx's error. A ctx
// without deadline gets the connection's request timeout
// (WithRequestTimeout). A ctx already ended sends nothing.
func (c *Conn) Request(ctx context.Context, subject string, data []byte, opts ...RequestOption) (*Msg, error) {
	return c.request(ctx, subject, nil, data, opts)
}

// RequestMsg publishes m (subject, headers, data; its Reply is replaced by
// the inbox) and returns the first reply.
func (c *Conn) RequestMsg(ctx context.Context, m *Msg, opts ...RequestOption) (*Msg, error) {
	return c.request(ctx, m.Subject, m.Header, m.Data, opts)
}

func (c *Conn) request(ctx context.Context, subject string, hdr Header, data []byte, opts []RequestOption) (*Msg, error) {
	// A request whose caller has given up must not reach a responder: the
	// caller cannot learn what it did (a JetStream publish stored, say).
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cfg requestConfig
	if len(opts) > 0 {
		cfg = applyRequestOptions(opts)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.requestTimeout)
		defer cancel()
	}
	if cfg.uniqueInbox {
		return c.requestUnique(ctx, subject, hdr, data)
	}
	var buf [80]byte
	w, id, reply, err := c.resp.register(buf[:0], false)
	if err != nil {
		return nil, err
	}
	// A lone request is written by this goroutine, which is about to wait
	// anyway, rather than by the flusher after a wake-up: that is the
	// latency of sequential requests. With others in flight, the flusher
	// batches them into one write instead of one system call each.
	lone := c.resp.pending() <= 1
	flags := pubFlags(0)
	if lone {
		flags = deferWrite
	}
	if err := c.publishOp(subject, borrowString(reply), hdr, nil, data, flags); err != nil {
		c.resp.done(id, w)
		return nil, err
	}
	if lone {
		// Bounded by ctx: a socket that takes nothing until the request
		// has timed out must not hold it longer.
		dl, _ := ctx.Deadline()
		c.writeBatchBy(dl)
	}
	select {
	case m := <-w.ch:
		c.resp.done(id, w)
		return replyOrError(m)
	case <-ctx.Done():
		c.resp.done(id, w)
		return nil, ctx.Err()
	case <-c.closing:
		c.resp.done(id, w)
		return nil, ErrConnectionClosed
	}
}

// replyOrError turns a no-responders status into its error.
func replyOrError(m *Msg) (*Msg, error) {
	if len(m.rawHeader) > 0 && len(m.Data) == 0 && m.Status() == StatusNoResponders {
		return nil, ErrNoResponders
	}
	return m, nil
}

// requestUnique runs a request through an inbox subscription of its own.
func (c *Conn) requestUnique(ctx context.Context, subject string, hdr Header, data []byte) (*Msg, error) {
	inbox := c.NewInbox()
	s := &Subscription{kind: subPull, internal: true}
	if _, err := c.subscribe(inbox, s, nil); err != nil {
		return nil, err
	}
	defer func() { _ = s.Unsubscribe() }()
	if err := s.AutoUnsubscribe(1); err != nil {
		return nil, err
	}
	if err := c.publish(subject, inbox, hdr, nil, data); err != nil {
		return nil, err
	}
	m, err := s.Next(ctx)
	if err != nil {
		if err == ErrSubscriptionClosed && c.IsClosed() {
			err = ErrConnectionClosed
		}
		return nil, err
	}
	return replyOrError(m)
}

// applyRequestOptions returns the configuration opts make. It is a function
// of its own so that the configuration, whose address the options take,
// escapes to the heap only when there are options: a plain Request
// allocates nothing for it.
func applyRequestOptions(opts []RequestOption) requestConfig {
	var cfg requestConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}
