package core

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/starling-nats/starling/codec"
)

// install makes s the live session: the server's limits apply, every
// subscription is sent again (on a reconnect), then what was held while
// disconnected, then a PING for each Flush still waiting. Ops go out in
// that order, so held publishes reach the new server after the
// subscriptions that may want them.
func (c *Conn) install(s *session, reconnected bool) {
	info := s.info.Load()
	c.applyInfo(info)
	s.started = time.Now()
	c.sess.Store(s)

	w := &c.w
	w.mu.Lock()
	if w.state == wsClosed {
		w.mu.Unlock()
		_ = s.conn.Close()
		return
	}
	held := w.buf
	buf := c.subs.appendResubscribe(w.spare[:0])
	buf = append(buf, held...)
	for range w.pongs {
		buf = codec.AppendPing(buf)
	}
	w.buf, w.spare = buf, nil
	w.conn = s.conn
	w.state = wsConnected
	w.pingsOut = 0
	w.kicked = false
	w.wake()
	w.cond.Broadcast()
	w.mu.Unlock()

	// A draining Conn stays draining; a closed one stays closed.
	c.setStatus(StatusConnected)
	c.wakeReconnectWaiters()
	c.discover(info)
	kind := EventConnected
	if reconnected {
		kind = EventReconnected
		c.stats.reconnects.Add(1)
	}
	c.events.push(Event{Kind: kind, Server: s.server.url})
}

// sessionLost tears down a session that ended with err: the socket is
// closed, the flusher's batch in flight is accounted for, and the
// publishes the server may not have received are kept for the next session.
func (c *Conn) sessionLost(s *session, err error) {
	c.sess.CompareAndSwap(s, nil)
	if s.leaveTimer != nil {
		s.leaveTimer.Stop()
	}
	w := &c.w
	w.mu.Lock()
	if w.state == wsConnected {
		w.state = wsDisconnected
	}
	w.conn = nil
	_ = s.conn.Close()
	for w.writing {
		w.cond.Wait()
	}
	if w.state != wsClosed {
		w.buf = salvage(w.failed, w.failedN, w.buf)
	}
	w.failed, w.failedN = nil, 0
	// Keep-alive PINGs die with the session; Flush calls wait for the next
	// one, which sends them a PING each.
	keep := w.pongs[:0]
	for _, ch := range w.pongs {
		if ch != nil {
			keep = append(keep, ch)
		}
	}
	clear(w.pongs[len(keep):])
	w.pongs = keep
	w.pingsOut = 0
	w.pongsQueued = 0
	w.cond.Broadcast()
	w.mu.Unlock()
	s.reader.Release()

	// One compare-and-swap: a Close that lands meanwhile is not undone,
	// and a draining Conn stays draining.
	if from, _ := c.setStatus(StatusReconnecting); from == StatusClosed {
		return
	}
	// A move the Conn or the user chose (lame duck, ForceReconnect) is no
	// error to report.
	if err == errLameDuckMove || err == errForcedReconnect {
		err = nil
	}
	c.events.push(Event{Kind: EventDisconnected, Err: err, Server: s.server.url})
}

// salvage returns the publishes that must be sent again: those of the
// failed batch from the op the socket did not take whole, then the buffered
// ones. Only PUB and HPUB survive: subscriptions are sent again from the
// table, and PINGs and PONGs belong to the dead session. Working op by op
// means a half-written op is sent again whole, never as garbage.
func salvage(failed []byte, written int, buf []byte) []byte {
	if len(failed) == 0 {
		return keepPublishes(buf[:0], buf)
	}
	var out []byte
	out = keepPublishes(out, failed[opStart(failed, written):])
	return keepPublishes(out, buf)
}

// opStart returns the offset of the op that contains byte n of b (the
// first byte the socket did not take), so a partly written op is redone.
func opStart(b []byte, n int) int {
	off := 0
	for off < len(b) {
		end := opEnd(b[off:])
		if end < 0 || off+end > n {
			return off
		}
		off += end
	}
	return off
}

// keepPublishes appends the PUB and HPUB ops of src to dst. src holds only
// ops this client encoded, so they are well formed.
func keepPublishes(dst, src []byte) []byte {
	for len(src) > 0 {
		end := opEnd(src)
		if end < 0 {
			break
		}
		if isPublish(src) {
			dst = append(dst, src[:end]...)
		}
		src = src[end:]
	}
	return dst
}

func isPublish(op []byte) bool {
	return len(op) > 4 && (string(op[:4]) == "PUB " || string(op[:5]) == "HPUB ")
}

// opEnd returns the length of the first op of b (control line, and payload
// with its CRLF for PUB and HPUB), or -1 when b does not hold it whole.
func opEnd(b []byte) int {
	nl := -1
	for i, ch := range b {
		if ch == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		return -1
	}
	if !isPublish(b) {
		return nl + 1
	}
	// The payload size is the line's last field.
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	i := len(line)
	for i > 0 && line[i-1] != ' ' {
		i--
	}
	size := 0
	for _, ch := range line[i:] {
		size = size*10 + int(ch-'0')
	}
	end := nl + 1 + size + 2
	if end > len(b) {
		return -1
	}
	return end
}

// reconnect finds a new session after last ended with cause: a pass over
// the pool (every other server first, the one just lost last), then a
// backoff, until a server accepts, the pool runs dry, or the Conn closes.
// It returns nil in the last two cases, having closed the Conn.
func (c *Conn) reconnect(last *session, cause error) *session {
	var lastServer *poolServer
	if last != nil {
		lastServer = last.server
	}
	errs := []error{cause}
	for pass := 0; ; pass++ {
		if pass > 0 && !c.sleep(c.backoff(pass)) {
			return nil
		}
		servers := c.pool.order(lastServer)
		if len(servers) == 0 {
			c.close(errors.Join(append([]error{ErrNoServers}, errs...)...))
			return nil
		}
		for _, srv := range servers {
			if c.Status() == StatusClosed {
				return nil
			}
			sess, err := c.handshake(c.life, srv)
			if err == nil {
				return sess
			}
			if c.Status() == StatusClosed {
				return nil
			}
			if len(errs) >= 8 {
				errs = errs[1:]
			}
			errs = append(errs, err)
			removed := c.pool.failed(srv, err, c.opts.reconnect)
			if errors.Is(err, ErrAuthorization) || errors.Is(err, ErrAuthExpired) || removed {
				c.events.push(Event{Kind: EventAsyncError, Err: err, Server: srv.url})
			}
		}
	}
}

// backoff returns the wait before pass n over the pool: full jitter over an
// exponential bound, so that the clients of a restarted server spread out.
func (c *Conn) backoff(pass int) time.Duration {
	r := &c.opts.reconnect
	if r.delay != nil {
		return r.delay(pass)
	}
	bound := r.waitMax
	if pass < 30 {
		if b := r.wait << (pass - 1); b > 0 && b < bound {
			bound = b
		}
	}
	return time.Duration(rand.Int64N(int64(bound) + 1))
}

// sleep waits d, or returns false when the Conn closes first.
func (c *Conn) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.Status() != StatusClosed
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.closing:
		return false
	}
}

// ForceReconnect drops the current session and reconnects, as if the
// connection had been lost: subscriptions are restored and buffered
// publishes replayed. Useful after credentials rotate.
func (c *Conn) ForceReconnect() error {
	if c.IsClosed() {
		return ErrConnectionClosed
	}
	s := c.sess.Load()
	if s == nil {
		return nil // already between sessions
	}
	c.force.Store(true)
	return s.conn.Close()
}
