package core

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// subKind is how a subscription hands messages to the user.
type subKind uint8

const (
	// subBorrowed runs the handler on the reader goroutine with a
	// BorrowedMsg: no copy, no queue, no goroutine.
	subBorrowed subKind = iota
	// subOwned queues owned messages for a handler goroutine that exists
	// only while messages wait.
	subOwned
	// subPull queues owned messages for Next and Messages.
	subPull
	// subChan queues owned messages for a goroutine that sends them on the
	// user's channel, again only while messages wait.
	subChan
)

// subState is a subscription's life.
type subState uint8

const (
	subActive   subState = iota
	subDraining          // no new messages will come; deliver what is queued
	subClosed            // done; the queue is empty or was discarded
)

// Subscription is interest in a subject. Messages reach the user in one of
// the ways chosen at creation: a borrowed handler (SubscribeBorrowed), an
// owned handler (Subscribe), pull (SubscribeSync: Next and Messages), or a
// channel (SubscribeChan).
//
// Messages waiting for an owned handler, a channel or Next count against
// pending limits (WithPendingLimits, PendingLimits); over them, new messages
// are dropped, counted in Dropped, and a slow-consumer event fires once per
// episode (an episode ends when the queue empties).
type Subscription struct {
	conn    *Conn
	sid     uint64
	subject string
	queue   string
	kind    subKind

	borrowed func(*BorrowedMsg)
	handler  func(*Msg)
	ch       chan<- *Msg

	// max is the auto-unsubscribe limit (0: none); received counts the
	// messages the server sent us, as the server counts them, so the
	// remainder can be restored after a reconnect.
	max       atomic.Int64
	received  atomic.Int64
	delivered atomic.Int64
	dropped   atomic.Int64
	// removed is set when the subscription leaves the Conn's table, so the
	// reader's cache of the last subscription it dispatched to sees it.
	removed atomic.Bool
	// unsubbed is set once Drain sent UNSUB, so that a reconnect while the
	// drain waits does not subscribe it again.
	unsubbed atomic.Bool

	mu           sync.Mutex
	head, tail   *Msg
	pendingMsgs  int
	pendingBytes int
	limits       pendingLimits
	slow         bool // in a slow-consumer episode
	running      bool // a delivery goroutine is active
	waiting      bool // it lingers for more messages on wake
	// wake signals a lingering delivery goroutine; made with the first
	// one, so idle subscriptions do not carry it.
	wake  chan struct{}
	state subState
	// notify wakes a Next waiting for a message.
	notify chan struct{}
	// done is closed when the subscription has ended and will deliver
	// nothing more.
	done chan struct{}
	// err is why the server ended the subscription (a permissions
	// violation), returned by Next and Err once the queue is empty.
	err error
	// internal marks the request inbox subscription: not drained with the
	// user's, not counted by NumSubscriptions.
	internal bool
}

// SubOption configures a subscription.
type SubOption func(*Subscription) error

// Queue makes the subscription a member of queue group name: each message
// goes to one member of the group. Default: no queue group.
func Queue(name string) SubOption {
	return func(s *Subscription) error { s.queue = name; return nil }
}

// PendingLimits sets this subscription's limits of messages and bytes
// waiting for the user; zero or less means no limit of that kind. Default:
// the Conn's (WithPendingLimits).
func PendingLimits(msgs, bytes int) SubOption {
	return func(s *Subscription) error { s.limits = pendingLimits{msgs: msgs, bytes: bytes}; return nil }
}

// Subject returns the subscribed subject.
func (s *Subscription) Subject() string { return s.subject }

// QueueGroup returns the queue group, "" for none.
func (s *Subscription) QueueGroup() string { return s.queue }

// IsValid reports whether the subscription is still receiving or delivering.
func (s *Subscription) IsValid() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state != subClosed
}

// Done returns a channel closed when the subscription has ended and will
// deliver nothing more (after Unsubscribe, a completed Drain, its
// auto-unsubscribe limit, or the Conn's close).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Pending returns the messages and bytes waiting to be delivered.
func (s *Subscription) Pending() (msgs, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingMsgs, s.pendingBytes
}

// SetPendingLimits changes the pending limits; zero or less means none.
func (s *Subscription) SetPendingLimits(msgs, bytes int) {
	s.mu.Lock()
	s.limits = pendingLimits{msgs: msgs, bytes: bytes}
	s.mu.Unlock()
}

// Delivered returns how many messages were handed to the user.
func (s *Subscription) Delivered() int64 { return s.delivered.Load() }

// Dropped returns how many messages were dropped over the pending limits.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Unsubscribe ends the subscription at once: the server stops sending, and
// messages still waiting for the user are discarded (Drain delivers them).
func (s *Subscription) Unsubscribe() error {
	c := s.conn
	if !c.subs.remove(s.sid) {
		return ErrBadSubscription
	}
	s.close()
	return c.sendUnsub(s.sid, 0)
}

// AutoUnsubscribe ends the subscription after n messages in all, counting
// those already received. The server is told too, so it stops sending; the
// remaining count survives reconnects.
func (s *Subscription) AutoUnsubscribe(n int) error {
	if n <= 0 {
		return s.Unsubscribe()
	}
	c := s.conn
	if !c.subs.has(s.sid) {
		return ErrBadSubscription
	}
	s.max.Store(int64(n))
	if got := s.received.Load(); got >= int64(n) {
		if c.subs.remove(s.sid) {
			// Messages received beyond n may still wait in the queue;
			// they are the newest, so they go from its tail.
			s.trimNewest(int(got - int64(n)))
			s.endReceiving()
		}
		return c.sendUnsub(s.sid, 0)
	}
	return c.sendUnsub(s.sid, n)
}

// trimNewest discards up to n of the most recently queued messages.
func (s *Subscription) trimNewest(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 || s.head == nil {
		return
	}
	keep := s.pendingMsgs - n
	if keep <= 0 {
		s.head, s.tail = nil, nil
		s.pendingMsgs, s.pendingBytes = 0, 0
		s.slow = false
		return
	}
	m, bytes := s.head, s.head.size
	for i := 1; i < keep; i++ {
		m = m.next
		bytes += m.size
	}
	m.next = nil
	s.tail = m
	s.pendingMsgs, s.pendingBytes = keep, bytes
}

// Drain ends the subscription gracefully: the server stops sending, every
// message it sent before is delivered (Next returns them, handlers run),
// then the subscription ends. It returns when that is done or ctx ends (the
// rest is then discarded).
//
// Called from a message handler (borrowed or owned, of any subscription),
// Drain cannot wait, since the drain may need that very handler to return:
// it tells the server to stop, starts the rest and returns nil at once.
// Wait on Done outside the handler. The drain started so is bounded by
// ctx's deadline but not by its cancellation.
//
// The queued messages of a SubscribeSync or SubscribeChan subscription are
// delivered by whoever calls Next or receives from the channel: keep doing
// so while Drain waits, from another goroutine.
func (s *Subscription) Drain(ctx context.Context) error {
	c := s.conn
	if !c.subs.has(s.sid) {
		return ErrBadSubscription
	}
	s.unsubbed.Store(true)
	if err := c.sendUnsub(s.sid, 0); err != nil {
		return err
	}
	if inHandler() {
		ctx, cancel := detach(ctx)
		go func() {
			defer cancel()
			_ = s.finishDrain(ctx) // Done tells the end
		}()
		return nil
	}
	return s.finishDrain(ctx)
}

// finishDrain waits until the server has sent everything it will send
// the subscription, then until the subscription delivered it.
func (s *Subscription) finishDrain(ctx context.Context) error {
	c := s.conn
	// The PONG comes after every MSG the server sent before our UNSUB, and
	// the reader handles ops in order: once Flush returns, all of them are
	// queued.
	err := c.Flush(ctx)
	if c.subs.remove(s.sid) {
		s.endReceiving()
	}
	if err != nil {
		s.close()
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.close()
		return ctx.Err()
	}
}

// Next returns the next message of a SubscribeSync subscription, waiting
// until one arrives, the subscription ends (ErrSubscriptionClosed) or ctx
// ends.
func (s *Subscription) Next(ctx context.Context) (*Msg, error) {
	if s.kind != subPull {
		return nil, ErrWrongSubscriptionKind
	}
	for {
		s.mu.Lock()
		m := s.popLocked()
		if m == nil && s.state != subActive {
			s.finishLocked()
			err := s.err
			s.mu.Unlock()
			if err == nil {
				err = ErrSubscriptionClosed
			}
			return nil, err
		}
		// notify holds one token however many messages arrived, so a
		// Next that takes a message and leaves others queued passes the
		// wake-up on to the next waiting Next.
		more := m != nil && s.head != nil
		s.mu.Unlock()
		if more {
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
		if m != nil {
			s.delivered.Add(1)
			return m, nil
		}
		select {
		case <-s.notify:
		case <-s.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Messages iterates over a SubscribeSync subscription's messages until it
// ends (the loop then stops) or ctx ends (its error is yielded once).
func (s *Subscription) Messages(ctx context.Context) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		for {
			m, err := s.Next(ctx)
			if errors.Is(err, ErrSubscriptionClosed) {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// enqueue queues m for the user, or drops it over the limits. Called by the
// reader goroutine only.
func (s *Subscription) enqueue(m *Msg) {
	s.mu.Lock()
	if s.state != subActive {
		s.mu.Unlock()
		return
	}
	if (s.limits.msgs > 0 && s.pendingMsgs >= s.limits.msgs) ||
		(s.limits.bytes > 0 && s.pendingBytes+m.size > s.limits.bytes && s.pendingMsgs > 0) {
		s.dropped.Add(1)
		first := !s.slow
		s.slow = true
		s.mu.Unlock()
		if first {
			s.conn.events.push(Event{Kind: EventSlowConsumer, Sub: s, Err: &SubscriptionError{Subject: s.subject, Err: ErrSlowConsumer}})
		}
		return
	}
	if s.tail == nil {
		s.head = m
	} else {
		s.tail.next = m
	}
	s.tail = m
	s.pendingMsgs++
	s.pendingBytes += m.size
	start, wake := false, false
	switch s.kind {
	case subOwned, subChan:
		switch {
		case !s.running:
			s.running, start = true, true
			if s.wake == nil {
				s.wake = make(chan struct{}, 1)
			}
		case s.waiting:
			s.waiting, wake = false, true
		}
	}
	s.mu.Unlock()
	switch {
	case start && s.kind == subOwned:
		go s.runHandler()
	case start:
		go s.runChan()
	case wake:
		select {
		case s.wake <- struct{}{}:
		default:
		}
	case s.kind == subPull:
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// popLocked takes the oldest queued message, or nil.
func (s *Subscription) popLocked() *Msg {
	m := s.head
	if m == nil {
		return nil
	}
	s.head = m.next
	if s.head == nil {
		s.tail = nil
		s.slow = false
	}
	m.next = nil
	s.pendingMsgs--
	s.pendingBytes -= m.size
	return m
}

// handlerLinger is how long a delivery goroutine waits for more messages
// after its queue empties before it exits. A subscription in a stream of
// messages keeps its goroutine (starting one per message costs more than
// the message); an idle one has none after this long.
const handlerLinger = 2 * time.Millisecond

// runHandler delivers queued messages to an owned handler, in order.
func (s *Subscription) runHandler() {
	s.runDelivery(func(m *Msg) bool {
		s.handler(m)
		return true
	})
}

// runChan sends queued messages on the user's channel, blocking as the
// channel does, until the subscription is closed.
func (s *Subscription) runChan() {
	s.runDelivery(func(m *Msg) bool {
		select {
		case s.ch <- m:
			return true
		case <-s.done:
			return false
		}
	})
}

// runDelivery is the delivery goroutine of owned-handler and channel
// subscriptions: it takes messages in order, lingers briefly when the queue
// is empty, and exits when it stays empty, so idle subscriptions cost no
// goroutine.
func (s *Subscription) runDelivery(deliver func(*Msg) bool) {
	var linger *time.Timer
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for {
		s.mu.Lock()
		m := s.popLocked()
		if m == nil {
			if s.state != subActive {
				s.running = false
				if s.state == subDraining {
					s.finishLocked()
				}
				s.mu.Unlock()
				return
			}
			s.waiting = true
			s.mu.Unlock()
			if !s.lingerFor(&linger) {
				return
			}
			continue
		}
		s.mu.Unlock()
		if !deliver(m) {
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		}
		s.delivered.Add(1)
	}
}

// lingerFor waits up to handlerLinger for enqueue to signal more work. It
// reports false when the goroutine is to exit, having marked itself not
// running.
func (s *Subscription) lingerFor(t **time.Timer) bool {
	if *t == nil {
		*t = time.NewTimer(handlerLinger)
	} else {
		(*t).Reset(handlerLinger)
	}
	select {
	case <-s.wake:
		return true
	case <-(*t).C:
	case <-s.done:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = false
	if s.head != nil && s.state != subClosed {
		return true // raced with an enqueue
	}
	s.running = false
	if s.state == subDraining {
		s.finishLocked()
	}
	return false
}

// endReceiving marks that no more messages will arrive: what is queued is
// still delivered, then the subscription is done.
func (s *Subscription) endReceiving() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != subActive {
		return
	}
	s.state = subDraining
	if s.kind == subPull {
		// Wake a waiting Next so it sees the end once the queue is empty.
		select {
		case s.notify <- struct{}{}:
		default:
		}
		if s.head == nil {
			s.finishLocked()
		}
		return
	}
	if !s.running && s.head == nil {
		s.finishLocked()
	}
	if s.waiting {
		// A lingering delivery goroutine finishes the drain now rather
		// than when its linger runs out.
		s.waiting = false
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// finishLocked ends the subscription; s.mu held.
func (s *Subscription) finishLocked() {
	if s.state == subClosed && isClosed(s.done) {
		return
	}
	s.state = subClosed
	if !isClosed(s.done) {
		close(s.done)
	}
}

// Err returns why the server ended the subscription (a
// *SubscriptionError, e.g. for a permissions violation), or nil.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// fail ends the subscription because the server refused it.
func (s *Subscription) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	s.endReceiving()
}

// close ends the subscription now, discarding queued messages.
func (s *Subscription) close() {
	s.mu.Lock()
	s.head, s.tail = nil, nil
	s.pendingMsgs, s.pendingBytes = 0, 0
	s.finishLocked()
	s.mu.Unlock()
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
