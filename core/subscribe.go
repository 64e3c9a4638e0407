package core

import (
	"fmt"
	"sync"

	"github.com/starling-nats/starling/codec"
)

// subTable maps sids to subscriptions. The reader looks up every message
// here, so it is a plain map under a RWMutex: cheap to read, and O(1) to
// change even with 100 000 subscriptions (a copy-on-write map would make
// creating them quadratic).
type subTable struct {
	mu   sync.RWMutex
	m    map[uint64]*Subscription
	next uint64
}

func (t *subTable) init() { t.m = make(map[uint64]*Subscription) }

func (t *subTable) add(s *Subscription) {
	t.mu.Lock()
	t.next++
	s.sid = t.next
	t.m[s.sid] = s
	t.mu.Unlock()
}

func (t *subTable) get(sid uint64) *Subscription {
	t.mu.RLock()
	s := t.m[sid]
	t.mu.RUnlock()
	return s
}

// bySubject finds a subscription by subject and queue (permission errors
// name a subject, not a sid).
func (t *subTable) bySubject(subject, queue string) *Subscription {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, s := range t.m {
		if s.subject == subject && s.queue == queue && !s.internal {
			return s
		}
	}
	return nil
}

func (t *subTable) has(sid uint64) bool { return t.get(sid) != nil }

// remove deletes sid and reports whether it was there, so that exactly one
// caller goes on to end the subscription.
func (t *subTable) remove(sid uint64) bool {
	t.mu.Lock()
	s, ok := t.m[sid]
	if ok {
		s.removed.Store(true)
		delete(t.m, sid)
	}
	t.mu.Unlock()
	return ok
}

func (t *subTable) all() []*Subscription {
	t.mu.RLock()
	out := make([]*Subscription, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	t.mu.RUnlock()
	return out
}

// anyPending reports whether a user subscription has messages waiting.
func (t *subTable) anyPending() bool {
	for _, s := range t.all() {
		if n, _ := s.Pending(); n > 0 && !s.internal {
			return true
		}
	}
	return false
}

func (t *subTable) count(internal bool) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, s := range t.m {
		if s.internal == internal {
			n++
		}
	}
	return n
}

// closeAll ends every subscription (the Conn closed).
func (t *subTable) closeAll() {
	t.mu.Lock()
	subs := t.m
	t.m = make(map[uint64]*Subscription)
	t.mu.Unlock()
	for _, s := range subs {
		s.removed.Store(true)
		s.close()
	}
}

// appendResubscribe appends SUB (and UNSUB with the remaining count) for
// every live subscription, for a new session. Subscriptions whose
// auto-unsubscribe limit was reached meanwhile are ended instead.
func (t *subTable) appendResubscribe(dst []byte) []byte {
	var ended []*Subscription
	t.mu.Lock()
	for sid, s := range t.m {
		if s.unsubbed.Load() {
			continue
		}
		max := s.max.Load()
		left := max - s.received.Load()
		if max > 0 && left <= 0 {
			s.removed.Store(true)
			delete(t.m, sid)
			ended = append(ended, s)
			continue
		}
		dst = codec.AppendSub(dst, s.subject, s.queue, sid)
		if max > 0 {
			dst = codec.AppendUnsub(dst, sid, int(left))
		}
	}
	t.mu.Unlock()
	for _, s := range ended {
		s.endReceiving()
	}
	return dst
}

// NumSubscriptions returns how many subscriptions the user has open.
func (c *Conn) NumSubscriptions() int { return c.subs.count(false) }

// Subscribe delivers each message on subject to handler as an owned *Msg
// the handler may keep. Messages are delivered in order, one at a time, on
// a goroutine that exists only while messages wait, so idle subscriptions
// cost no goroutine. One allocation per message.
func (c *Conn) Subscribe(subject string, handler func(*Msg), opts ...SubOption) (*Subscription, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	return c.subscribe(subject, &Subscription{kind: subOwned, handler: handler}, opts)
}

// SubscribeBorrowed delivers each message on subject to handler on the
// Conn's reader goroutine, lending a BorrowedMsg whose slices are valid only
// until handler returns. Nothing is allocated or copied per message. The
// handler must be quick and must not block: while it runs, nothing else is
// read from the connection (no other message, no PONG). It must not call
// Flush or Request, which wait for the reader; Drain, called from it,
// starts the drain and returns without waiting.
func (c *Conn) SubscribeBorrowed(subject string, handler func(*BorrowedMsg), opts ...SubOption) (*Subscription, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	return c.subscribe(subject, &Subscription{kind: subBorrowed, borrowed: handler}, opts)
}

// SubscribeSync subscribes for pull: Next and Messages return owned
// messages in order.
func (c *Conn) SubscribeSync(subject string, opts ...SubOption) (*Subscription, error) {
	return c.subscribe(subject, &Subscription{kind: subPull}, opts)
}

// SubscribeChan sends each message on subject to ch as an owned *Msg, in
// order. Sends block as ch does; messages waiting meanwhile count against
// the pending limits. ch is never closed by the Conn.
func (c *Conn) SubscribeChan(subject string, ch chan<- *Msg, opts ...SubOption) (*Subscription, error) {
	if ch == nil {
		return nil, fmt.Errorf("%w: nil channel", ErrInvalidOption)
	}
	return c.subscribe(subject, &Subscription{kind: subChan, ch: ch}, opts)
}

func (c *Conn) subscribe(subject string, s *Subscription, opts []SubOption) (*Subscription, error) {
	s.conn = c
	s.subject = subject
	s.limits = c.opts.pending
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if !c.opts.skipSubjectValidation {
		if !codec.ValidSubscribeSubject(subject) {
			return nil, fmt.Errorf("%w: %q", ErrBadSubject, subject)
		}
		if s.queue != "" && !codec.ValidQueueName(s.queue) {
			return nil, fmt.Errorf("%w: %q", ErrBadQueueName, s.queue)
		}
	}
	// The arguments are "subject [queue] sid"; a sid needs more than 10
	// digits only after ten billion subscriptions.
	args := len(s.subject) + 1 + 10
	if s.queue != "" {
		args += len(s.queue) + 1
	}
	if args > c.opts.maxControlLine {
		return nil, fmt.Errorf("%w: subject of %d bytes, queue of %d", ErrControlLineTooLong, len(s.subject), len(s.queue))
	}
	switch c.Status() {
	case StatusClosed:
		return nil, ErrConnectionClosed
	case StatusDraining:
		if !s.internal {
			return nil, ErrConnectionDraining
		}
	}
	s.done = make(chan struct{})
	if s.kind == subPull {
		s.notify = make(chan struct{}, 1)
	}
	c.subs.add(s)

	w := &c.w
	w.mu.Lock()
	switch w.state {
	case wsClosed:
		w.mu.Unlock()
		c.subs.remove(s.sid)
		return nil, ErrConnectionClosed
	case wsConnected:
		// While disconnected, the SUB is sent with every other
		// subscription when the next session starts.
		w.buf = codec.AppendSub(w.buf, subject, s.queue, s.sid)
		w.wake()
	}
	w.mu.Unlock()
	return s, nil
}

// sendUnsub tells the server to stop (after max more messages when max > 0).
func (c *Conn) sendUnsub(sid uint64, max int) error {
	w := &c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case wsClosed:
		return ErrConnectionClosed
	case wsConnected:
		w.buf = codec.AppendUnsub(w.buf, sid, max)
		w.wake()
	}
	// Disconnected: the next session's resubscribe leaves the sid out, or
	// sends the remaining count.
	return nil
}
