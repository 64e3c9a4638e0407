package js

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

type sessionState uint8

const (
	stateRunning sessionState = iota
	stateDraining
	stateStopped
)

// pullSession is one running consume: a wildcard inbox, a unique reply
// subject per pull request under it, and the ADR-37 accounting.
type pullSession struct {
	c        *Consumer
	nc       Conn
	o        pullOpts
	nextSubj string
	// inbox is the reply prefix with its dot; requests reply to
	// inbox+<id>, so that no two pulls share a reply (nats-server #6307).
	inbox string
	sub   *core.Subscription

	owned    func(*Msg)
	borrowed func(*BorrowedMsg)
	// queueOnly: Messages or an ordered consumer pops the queue itself.
	queueOnly bool
	// keepQueue: stopping keeps what was received and not handed over, for
	// takeQueue. An ordered consumer sets it: its next server consumer
	// starts after the last message received, so one dropped here (by a 409
	// Consumer Deleted, say) would never come again.
	keepQueue bool
	// accept, when set, decides under s.mu whether a received message
	// joins the queue (the ordered consumer's sequence check).
	accept func(bm *core.BorrowedMsg) bool
	// bmsg is the borrowed message, reused; only the reader touches it.
	bmsg BorrowedMsg

	// replyBuf holds the reply subject of the pull being sent (control
	// goroutine only).
	replyBuf []byte
	bodyBuf  []byte

	// recv counts everything received, heartbeats included.
	recv atomic.Uint64

	mu sync.Mutex
	// outMsgs and outBytes are requested and not yet received; qMsgs and
	// qBytes received and not yet handed over.
	outMsgs, outBytes int
	qMsgs, qBytes     int
	head, tail        *Msg
	// reqID numbers requests; statuses of requests below floor predate
	// the last reset and are ignored.
	reqID, floor uint64
	state        sessionState
	err          error
	warns        []error
	// verify asks control to check that the consumer exists; retryAt
	// holds pulls back until then.
	verify     bool
	retryAt    time.Time
	goroutines int
	// idle: the queue's taker found it empty and waits on ready.
	idle bool

	wake  chan struct{}
	ready chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

func (c *Consumer) newSession(opts []PullOption) (*pullSession, error) {
	o, err := applyPullOpts(opts)
	if err != nil {
		return nil, err
	}
	if o.maxMsgs == 0 {
		o.maxMsgs = DefaultPullMaxMessages
	}
	if o.expiry == 0 {
		o.expiry = DefaultPullExpiry
	}
	o.expiry = max(o.expiry, minPullExpiry)
	if o.heartbeat == 0 {
		o.heartbeat = min(max(o.expiry/2, 500*time.Millisecond), 30*time.Second)
	}
	if o.heartbeat > o.expiry/2 {
		return nil, fmt.Errorf("%w: heartbeat %v over half the expiry %v", ErrInvalidOption, o.heartbeat, o.expiry)
	}
	if o.thresholdMsgs == 0 || o.thresholdMsgs > o.maxMsgs {
		o.thresholdMsgs = (o.maxMsgs + 1) / 2
	}
	if o.maxBytes > 0 && (o.thresholdBytes == 0 || o.thresholdBytes > o.maxBytes) {
		o.thresholdBytes = (o.maxBytes + 1) / 2
	}
	if o.noWait {
		return nil, fmt.Errorf("%w: no wait in a consume", ErrInvalidOption)
	}
	s := &pullSession{
		c:        c,
		nc:       c.js.nc,
		o:        o,
		nextSubj: c.nextSubject(),
		wake:     make(chan struct{}, 1),
		ready:    make(chan struct{}, 1),
		idle:     true,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.inbox = s.nc.NewInbox() + "."
	return s, nil
}

func (s *pullSession) start() error {
	sub, err := s.nc.SubscribeBorrowed(s.inbox+"*", s.onMsg)
	if err != nil {
		return err
	}
	s.sub = sub
	s.goroutines = 1
	if s.owned != nil {
		s.goroutines = 2
		go s.deliver()
	}
	go s.control()
	s.poke()
	return nil
}

func (s *pullSession) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *pullSession) signalReady() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// onMsg runs on the connection's reader for everything on the inbox.
func (s *pullSession) onMsg(bm *core.BorrowedMsg) {
	s.recv.Add(1)
	if len(bm.Data) == 0 && len(bm.Header) > 0 {
		if st := bm.Header.Status(); st != 0 {
			if st != 100 {
				s.onStatus(bm)
			}
			return
		}
	}
	if s.o.group != "" {
		if id := bm.Header.Get("Nats-Pin-Id"); id != nil && validPinID(id) && s.c.pin() != string(id) {
			s.c.setPin(string(id))
		}
	}
	size := msgSize(bm.Subject, bm.Reply, bm.Header, bm.Data)
	if s.borrowed != nil {
		s.mu.Lock()
		if s.state != stateRunning {
			s.mu.Unlock()
			return
		}
		s.received(size)
		refill := s.needRefill()
		s.mu.Unlock()
		if refill {
			s.poke()
		}
		b := &s.bmsg
		b.Subject, b.Reply, b.Header, b.Data, b.bm, b.acked = bm.Subject, bm.Reply, bm.Header, bm.Data, bm, false
		s.borrowed(b)
		b.Subject, b.Reply, b.Header, b.Data, b.bm = nil, nil, nil, nil, nil
		return
	}
	m := newMsg(s.nc, bm.Subject, bm.Reply, bm.Header, bm.Data)
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		return
	}
	s.received(size)
	if s.accept != nil && !s.accept(bm) {
		s.mu.Unlock()
		return
	}
	s.qMsgs++
	s.qBytes += size
	if s.tail == nil {
		s.head = m
	} else {
		s.tail.next = m
	}
	s.tail = m
	// Only a taker that found the queue empty waits for a signal; while
	// it is busy, a channel operation per message would be wasted.
	wake := s.idle
	s.idle = false
	s.mu.Unlock()
	if wake {
		s.signalReady()
	}
}

// received moves one message out of the requested counts; s.mu is held.
func (s *pullSession) received(size int) {
	s.outMsgs = max(s.outMsgs-1, 0)
	s.outBytes = max(s.outBytes-size, 0)
}

// needRefill reports whether fewer than the thresholds remain requested or
// undelivered; s.mu is held.
func (s *pullSession) needRefill() bool {
	if s.state != stateRunning {
		return false
	}
	if s.o.maxBytes > 0 {
		return s.outBytes+s.qBytes < s.o.thresholdBytes
	}
	return s.outMsgs+s.qMsgs < s.o.thresholdMsgs
}

// onStatus handles a status that ends one pull request.
func (s *pullSession) onStatus(bm *core.BorrowedMsg) {
	ps := pullStatus(bm.Header)
	id, _ := parseUint(bytesView(bm.Subject[min(len(s.inbox), len(bm.Subject)):]))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateStopped {
		return
	}
	stale := id < s.floor
	switch {
	case terminal(ps) || errors.Is(ps, ErrPullLimitExceeded) && !isMaxWaiting(ps):
		// A limit of the consumer the pulls cannot meet would fail every
		// pull again: ended, not retried.
		s.failLocked(ps)
		return
	case errors.Is(ps, ErrNoStreamResponse):
		// Nobody serves the consumer: JetStream is starting, the
		// consumer has no leader yet, or it is gone. Ask which, and
		// retry later rather than at once.
		if !stale {
			s.resetLocked()
		}
		s.verify = true
		s.retryAt = time.Now().Add(min(s.o.heartbeat, 500*time.Millisecond))
		s.warns = append(s.warns, ps)
	case errors.Is(ps, ErrLeadershipChange), errors.Is(ps, ErrServerShutdown),
		errors.Is(ps, ErrPinIDMismatch), errors.Is(ps, ErrPullLimitExceeded):
		if errors.Is(ps, ErrPinIDMismatch) {
			s.c.setPin("")
		}
		if !stale {
			s.resetLocked()
		}
		s.warns = append(s.warns, ps)
	default:
		// 404, 408, 409 Batch Completed, Message Size Exceeds MaxBytes:
		// the request ended with this much unfilled.
		if !stale {
			if ps.PendingMsgs >= 0 {
				s.outMsgs = max(s.outMsgs-ps.PendingMsgs, 0)
			}
			if ps.PendingBytes >= 0 {
				s.outBytes = max(s.outBytes-ps.PendingBytes, 0)
			}
		}
	}
	s.poke()
}

func isMaxWaiting(ps *PullStatusError) bool {
	return len(ps.Description) >= len("Exceeded MaxWaiting") && ps.Description[:len("Exceeded MaxWaiting")] == "Exceeded MaxWaiting"
}

// resetLocked forgets every outstanding request: statuses of earlier
// requests no longer count, and the next pull asks for everything again.
func (s *pullSession) resetLocked() {
	s.floor = s.reqID + 1
	s.outMsgs, s.outBytes = 0, 0
}

// failLocked ends the session with err.
func (s *pullSession) failLocked(err error) {
	if s.state == stateStopped {
		return
	}
	s.err = err
	s.stopLocked()
}

// stopWith stops the session: at once, or after handing over what was
// received (drain).
func (s *pullSession) stopWith(err error, drain bool) {
	s.mu.Lock()
	if s.state == stateStopped || drain && s.state == stateDraining {
		s.mu.Unlock()
		return
	}
	if err != nil {
		s.err = err
	}
	if drain && (s.owned != nil || s.queueOnly) {
		s.state = stateDraining
		s.mu.Unlock()
		_ = s.sub.Unsubscribe()
		s.signalReady()
		return
	}
	s.stopLocked()
	s.mu.Unlock()
}

// takeQueue ends the session and hands over what it received and did
// not deliver, in order: an ordered consumer moves it to its next session.
func (s *pullSession) takeQueue() (head, tail *Msg, msgs, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	head, tail, msgs, bytes = s.head, s.tail, s.qMsgs, s.qBytes
	s.head, s.tail, s.qMsgs, s.qBytes = nil, nil, 0, 0
	if s.state != stateStopped {
		s.stopLocked()
	}
	return head, tail, msgs, bytes
}

// stopLocked drops the queue (unless keepQueue) and tells the goroutines
// to end.
func (s *pullSession) stopLocked() {
	s.state = stateStopped
	if !s.keepQueue {
		s.head, s.tail = nil, nil
		s.qMsgs, s.qBytes = 0, 0
	}
	_ = s.sub.Unsubscribe()
	close(s.stop)
}

// exited is called by each goroutine of the session as it ends.
func (s *pullSession) exited() {
	s.mu.Lock()
	s.goroutines--
	last := s.goroutines == 0
	s.mu.Unlock()
	if last {
		close(s.done)
	}
}

// pop takes the next received message, or nil.
func (s *pullSession) pop() *Msg {
	s.mu.Lock()
	m := s.head
	if m != nil {
		s.head = m.next
		if s.head == nil {
			s.tail = nil
		}
		m.next = nil
		s.qMsgs--
		s.qBytes -= m.size
		if s.needRefill() {
			s.poke()
		}
	} else {
		s.idle = true
		if s.state == stateDraining {
			s.stopLocked()
		}
	}
	s.mu.Unlock()
	return m
}

// deliver runs the owned handler on the session's own goroutine.
func (s *pullSession) deliver() {
	defer s.exited()
	for {
		if m := s.pop(); m != nil {
			s.owned(m)
			continue
		}
		select {
		case <-s.ready:
		case <-s.stop:
			return
		}
	}
}
