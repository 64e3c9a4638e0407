package core

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/starling-nats/starling/codec"
)

// minStableSession is how long a session must last for its end to count as
// a loss rather than a failed attempt (for backoff and MaxReconnects).
const minStableSession = time.Second

// Reasons a session ends that the reader chose itself.
var (
	errForcedReconnect = errors.New("core: reconnect forced")
	errLameDuckMove    = errors.New("core: server entered lame-duck mode")
)

// readLoop is the reader goroutine. It serves one session at a time and,
// between sessions, reconnects; it exits when the Conn closes. sess is the
// first session, or nil when Connect failed with cause and
// WithRetryOnFailedConnect asked to keep trying.
func (c *Conn) readLoop(sess *session, cause error) {
	defer c.wg.Done()
	err := cause
	everConnected := sess != nil
	// short counts sessions in a row that ended soon after they started for
	// reasons of their own: a server that accepts us and then drops us
	// (e.g. over an op it refuses) must meet backoff, not a reconnect storm.
	short := 0
	for {
		if sess != nil {
			err = c.serve(sess)
			c.sessionLost(sess, err)
			switch {
			case err == errLameDuckMove || err == errForcedReconnect:
			case time.Since(sess.started) < minStableSession:
				short++
				if c.pool.shortSession(sess.server, c.opts.reconnect) {
					c.events.push(Event{Kind: EventAsyncError, Server: sess.server.url,
						Err: fmt.Errorf("core: %s left the pool: its sessions keep ending within %v: %w", sess.server.url, minStableSession, err)})
				}
			default:
				short = 0
				c.pool.connected(sess.server)
			}
		}
		if c.Status() == StatusClosed {
			break
		}
		if !c.opts.reconnect.allow || c.draining.Load() {
			c.close(err)
			break
		}
		if short > 0 && !c.sleep(c.backoff(short)) {
			break
		}
		sess = c.reconnect(sess, err)
		if sess == nil {
			break
		}
		c.install(sess, everConnected)
		everConnected = true
	}
	// No handshake runs after this point: the secrets can go.
	c.secrets.wipe()
	c.events.push(Event{Kind: EventClosed, Err: c.closeErr})
	close(c.done)
}

// serve reads and dispatches one session's ops until it ends, and returns
// why it ended.
func (c *Conn) serve(s *session) error {
	r := s.reader
	for {
		// Before the reader blocks for more input, it writes what its own
		// handlers queued (replies, PONGs): one write for all the replies
		// to one read, and no flusher wake-up per reply.
		if c.readerOwes && r.Buffered() == 0 {
			c.readerOwes = false
			c.writeBatch()
		}
		op, err := r.Next()
		if err != nil {
			return c.sessionEndReason(s, err)
		}
		switch op.Kind {
		case codec.OpMsg, codec.OpHMsg:
			c.dispatch(op)
		case codec.OpPing:
			c.sendPong()
		case codec.OpPong:
			c.pong()
		case codec.OpInfo:
			c.processInfo(s, op.Text)
		case codec.OpErr:
			se := parseServerError(string(op.Text))
			if se.Kind == ServerErrStaleConnection {
				return &StaleConnectionError{Rule: StaleServerReported, Err: se}
			}
			if se.Fatal() {
				return se
			}
			c.asyncError(se)
		case codec.OpOK:
		}
	}
}

// sessionEndReason turns a read error into the reason the session ended,
// preferring what closed the socket on purpose.
func (c *Conn) sessionEndReason(s *session, err error) error {
	stale := c.staleReason()
	switch {
	case c.Status() == StatusClosed:
		return ErrConnectionClosed
	case stale != nil:
		return stale
	case c.force.Swap(false):
		return errForcedReconnect
	case c.leaving.Swap(false), s.leaveScheduled.Load():
		// Leaving on our timer, or closed by the lame-duck server first:
		// either way the move was announced, not a failure.
		return errLameDuckMove
	}
	return err
}

// dispatch hands one MSG or HMSG to its subscription. It runs for every
// message, so it allocates only what the subscription kind promises.
func (c *Conn) dispatch(op *codec.Op) {
	c.stats.inMsgs.Add(1)
	c.stats.inBytes.Add(uint64(len(op.Payload) + len(op.Header)))
	sid, ok := codec.ParseSID(op.SID)
	if !ok {
		// Not a sid this client gave: say so rather than drop it unseen.
		c.asyncError(&codec.ProtocolError{Op: op.Kind.String(), Kind: codec.ErrMalformed,
			Reason: "subscription id " + strconv.Quote(string(op.SID)) + " is not a number"})
		return
	}
	// Messages come in runs for one subscription: the reader remembers the
	// last one it found and skips the table's lock while the sid repeats
	// and the subscription is still in the table.
	s := c.lastSub
	if s == nil || s.sid != sid || s.removed.Load() {
		if s = c.subs.get(sid); s == nil {
			return // unsubscribed; the server had sent it already
		}
		c.lastSub = s
	}
	last := false
	if n := s.received.Add(1); s.max.Load() > 0 {
		max := s.max.Load()
		if n > max {
			return
		}
		last = n == max
	}
	if s.kind == subBorrowed {
		m := &c.borrowed
		m.Subject, m.Reply, m.Header, m.Data = op.Subject, op.Reply, codec.HeaderView(op.Header), op.Payload
		m.conn, m.sub = c, s
		s.borrowed(m)
		*m = BorrowedMsg{}
		s.delivered.Add(1)
	} else {
		s.enqueue(newOwnedMsg(c, s, op.Subject, op.Reply, op.Header, op.Payload))
	}
	if last && c.subs.remove(sid) {
		s.endReceiving()
	}
}

// sendPong answers a server PING.
func (c *Conn) sendPong() {
	w := &c.w
	w.mu.Lock()
	if w.state == wsConnected {
		if w.pongsQueued >= maxQueuedPongs {
			// The server keeps sending PINGs while the flusher cannot
			// write our PONGs: it is not reading. Queuing more would grow
			// the buffer without bound, so the session is stale.
			c.markStale(StalePongBacklog)
			_ = w.conn.Close()
		} else {
			w.pongsQueued++
			w.buf = codec.AppendPong(w.buf)
			c.readerOwes = true // written before the reader blocks again
		}
	}
	w.mu.Unlock()
}

// maxQueuedPongs bounds the PONGs waiting for one flusher batch. A server
// sends a PING every ping interval (minutes), so even a write blocked for
// the whole write timeout waits on one or two; a thousand means the server
// floods PINGs, and when the write is blocked, reads nothing.
const maxQueuedPongs = 1024

// processInfo applies an INFO received during a session: new limits,
// discovered servers, lame-duck mode.
func (c *Conn) processInfo(s *session, raw []byte) {
	info, err := codec.ParseInfo(raw)
	if err != nil {
		c.asyncError(err)
		return
	}
	if info.MaxPayload <= 0 {
		// Not a limit: the one in force stays, on both sides.
		info.MaxPayload = s.info.Load().MaxPayload
	}
	s.info.Store(info)
	c.applyInfo(info)
	// The decoder's limit follows the latest INFO, as Publish's does: a
	// MSG beyond what the server now announces is a protocol error.
	if info.MaxPayload > 0 {
		s.reader.SetMaxPayload(info.MaxPayload)
	}
	c.discover(info)
	if info.LameDuckMode {
		c.events.push(Event{Kind: EventLameDuck, Server: s.server.url})
		c.scheduleLeave(s)
	}
}

// applyInfo makes the server's limits the client's.
func (c *Conn) applyInfo(info *codec.ServerInfo) {
	if info.MaxPayload > 0 {
		c.maxPayload.Store(int64(info.MaxPayload))
	}
	c.headers.Store(info.Headers)
}

// discover adds the servers the INFO announces to the pool.
func (c *Conn) discover(info *codec.ServerInfo) {
	if c.opts.reconnect.ignoreDiscovered {
		return
	}
	s := c.sess.Load()
	urls, scheme := info.ConnectURLs, "nats"
	if s != nil && s.server.addr.IsWebSocket() {
		urls, scheme = info.WSConnectURLs, s.server.addr.Scheme
	} else if s != nil && s.server.addr.Scheme == "tls" {
		scheme = "tls"
	}
	if len(urls) == 0 {
		return
	}
	if added := c.pool.discover(urls, scheme, !c.opts.reconnect.dontRandomize); len(added) > 0 {
		c.events.push(Event{Kind: EventServersDiscovered, Servers: added})
	}
}

// scheduleLeave moves the Conn off a lame-duck server after a random delay
// inside the lame-duck window, so that the server's clients do not all
// land on the others at once.
func (c *Conn) scheduleLeave(s *session) {
	if !s.leaveScheduled.CompareAndSwap(false, true) {
		return
	}
	d := time.Duration(rand.Int64N(int64(c.opts.reconnect.lameDuckWindow)))
	s.leaveTimer = time.AfterFunc(d, func() {
		if c.sess.Load() == s {
			c.leaving.Store(true)
			_ = s.conn.Close()
		}
	})
}

// asyncError reports an error that did not end the session.
func (c *Conn) asyncError(err error) {
	ev := Event{Kind: EventAsyncError, Err: err}
	var se *ServerError
	if errors.As(err, &se) && se.Kind == ServerErrPermissions && !se.Publish {
		ev.Sub = c.subs.bySubject(se.Subject, se.Queue)
		ev.Err = &SubscriptionError{Subject: se.Subject, Err: se}
		// The server did not create it: end it with the reason, so that
		// Next and Messages say why instead of waiting for ever.
		if ev.Sub != nil && c.subs.remove(ev.Sub.sid) {
			ev.Sub.fail(ev.Err)
		}
	}
	c.events.push(ev)
}
