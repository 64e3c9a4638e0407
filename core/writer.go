package core

import (
	"runtime"
	"sync"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/transport"
)

// writeState says where appended ops go.
type writeState uint8

const (
	// wsConnected: ops go to the socket through the flusher.
	wsConnected writeState = iota
	// wsDisconnected: publishes are held, up to the reconnect buffer size,
	// and sent after the next session's subscriptions.
	wsDisconnected
	// wsClosed: nothing is accepted.
	wsClosed
)

// writer is the Conn's outgoing side. Publishers append encoded ops to buf
// under mu (a channel hop per message would cost more than the encode);
// the flusher goroutine swaps buf with spare and writes the batch outside
// the lock, so publishers keep appending while the socket is busy.
//
// Lock order: writer.mu may be taken while holding nothing, or before
// subTable.mu (resubscribe on reconnect). Never take writer.mu while holding
// a subscription's or the subTable's lock.
type writer struct {
	mu   sync.Mutex
	cond sync.Cond // publishers waiting for room; reconnect waiting for an idle flusher

	buf   []byte
	spare []byte
	state writeState
	conn  transport.Conn

	// kicked is true while a wake-up sits in kick, so a publish sends at
	// most one per flusher cycle.
	kicked bool
	kick   chan struct{}

	// writing is true while the flusher writes a batch outside the lock.
	writing bool
	// failed and failedN keep a batch whose write failed and how much of it
	// the socket took, so reconnect can replay the ops the server never got.
	failed  []byte
	failedN int

	// pongs lists, in order, the PINGs sent that await a PONG: a nil entry
	// is a keep-alive ping, a non-nil one a Flush waiting.
	pongs    []chan error
	pingsOut int
	// pongsQueued counts the PONGs appended to buf since the flusher last
	// took it (see maxQueuedPongs).
	pongsQueued int

	// hdr is scratch for encoding a header map, used under mu.
	hdr []byte
	// lastValid is the last subject found valid (see validated).
	lastValid string

	limit        int // bytes buffered before publishers wait (connected)
	reconnLimit  int // bytes held while disconnected
	writeTimeout time.Duration

	outMsgs  uint64
	outBytes uint64
}

func (w *writer) init(limit, reconnLimit int) {
	w.cond.L = &w.mu
	w.kick = make(chan struct{}, 1)
	w.limit = limit
	w.reconnLimit = reconnLimit
	w.state = wsDisconnected
	w.writeTimeout = defaultWriteTimeout
}

// validated reports whether subject may be published to; w.mu held.
// Publishers tend to publish to the same few subjects, so the last subject
// found valid is remembered: comparing a string to itself is a pointer
// check, cheaper than walking its tokens again.
func (w *writer) validated(subject string, remember bool) bool {
	if subject == w.lastValid && subject != "" {
		return true
	}
	if !codec.ValidPublishSubject(subject) {
		return false
	}
	if remember {
		w.lastValid = subject
	}
	return true
}

// defaultWriteTimeout bounds one socket write so that a peer that stopped
// reading turns into a reconnect instead of publishers blocked forever.
const defaultWriteTimeout = 10 * time.Second

// wake tells the flusher there is work; w.mu must be held.
func (w *writer) wake() {
	if w.claimWake() {
		w.sendWake()
	}
}

// claimWake reports, with w.mu held, whether the caller must wake the
// flusher; the wake itself (sendWake) can then happen after unlocking, so a
// parked flusher is not readied inside the critical section.
func (w *writer) claimWake() bool {
	if w.kicked || w.state != wsConnected {
		return false
	}
	w.kicked = true
	return true
}

func (w *writer) sendWake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// reserve waits, with w.mu held, until n more bytes may be appended. It
// returns the error that refuses them.
func (w *writer) reserve(n int) error {
	for {
		switch w.state {
		case wsClosed:
			return ErrConnectionClosed
		case wsDisconnected:
			if len(w.buf)+n > w.reconnLimit {
				return ErrReconnectBufferExceeded
			}
			return nil
		}
		// An op larger than the whole buffer is let through alone, or it
		// could never be sent.
		if len(w.buf) == 0 || len(w.buf)+n <= w.limit {
			return nil
		}
		w.wake()
		w.cond.Wait()
	}
}

// flushLoop is the flusher goroutine: it writes batches and sends the
// keep-alive PINGs. It exits when the Conn closes.
func (c *Conn) flushLoop() {
	defer c.wg.Done()
	w := &c.w
	ping := time.NewTimer(c.opts.timing.pingInterval)
	defer ping.Stop()
	for {
		select {
		case <-w.kick:
			// Woken for a small batch: let the goroutines that are ready
			// to run (requesters just woken by their replies, say) add
			// their ops first, so one write carries them all. Costs
			// nothing when nobody else is runnable.
			runtime.Gosched()
		case <-ping.C:
			ping.Reset(c.opts.timing.pingInterval)
			c.keepAlive()
		case <-c.closing:
			return
		}
		c.writeBatch()
	}
}

// writeBatch writes what is buffered, if connected and nobody else is
// writing. The flusher calls it when woken; Request and the reader call it
// directly, so that one op sent before waiting does not cost a wake-up of
// the flusher (two goroutine switches per request/reply, which dominate
// its latency). Only one writer runs at a time, taking batches in order;
// one that finds more data after its write wakes the flusher for it.
func (c *Conn) writeBatch() {
	w := &c.w
	w.mu.Lock()
	if w.writing {
		// The writer at work wakes the flusher when it finds more data;
		// the kick consumed to get here must not stop it (kicked left true
		// made that wake a no-op: publishers then waited in reserve for
		// ever while the flusher slept).
		w.kicked = false
		w.mu.Unlock()
		return
	}
	w.kicked = false
	if w.state != wsConnected || len(w.buf) == 0 {
		w.mu.Unlock()
		return
	}
	batch := w.buf
	w.buf = w.spare[:0]
	w.spare = nil
	w.pongsQueued = 0
	conn := w.conn
	w.writing = true
	w.cond.Broadcast() // room for waiting publishers
	w.mu.Unlock()

	_ = conn.SetWriteDeadline(time.Now().Add(w.writeTimeout))
	n, err := conn.Write(batch)

	w.mu.Lock()
	w.writing = false
	if err != nil {
		// Keep the batch for reconnect; closing the socket makes the
		// reader end the session, and reconnect waits for writing to clear.
		w.failed, w.failedN = batch, n
		_ = conn.Close()
	} else if cap(batch) <= 4*w.limit {
		w.spare = batch[:0]
	}
	// A burst may have grown the buffers far past the limit; dropping the
	// big one lets it shrink back.
	if len(w.buf) > 0 {
		w.wake()
	}
	w.cond.Broadcast()
	w.mu.Unlock()
}

// keepAlive sends a PING, or declares the connection stale when too many
// went unanswered.
func (c *Conn) keepAlive() {
	w := &c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != wsConnected {
		return
	}
	if w.pingsOut >= c.opts.timing.maxPingsOut {
		c.markStale(StalePingsUnanswered)
		_ = w.conn.Close()
		return
	}
	w.pingsOut++
	w.pongs = append(w.pongs, nil)
	w.buf = codec.AppendPing(w.buf)
	w.wake()
}

// pong completes the oldest outstanding PING.
func (c *Conn) pong() {
	w := &c.w
	w.mu.Lock()
	w.pingsOut = 0
	var ch chan error
	if len(w.pongs) > 0 {
		ch = w.pongs[0]
		w.pongs[0] = nil
		w.pongs = w.pongs[1:]
	}
	w.mu.Unlock()
	if ch != nil {
		ch <- nil // buffered: never blocks
	}
}
