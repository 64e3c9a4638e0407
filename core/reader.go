package core

import (
	"errors"
	"fmt"
	"io"
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
		// What the reader owes goes out before any read from the socket
		// (see owedFirst) and, while the input keeps coming, after at most
		// maxOwedOps ops.
		if c.readerOwes {
			if c.owedOps++; c.owedOps > maxOwedOps {
				c.payOwed()
			}
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
	// A failed write closed the socket, which is what the read saw; the
	// write's error says what happened.
	c.w.mu.Lock()
	werr := c.w.err
	c.w.mu.Unlock()
	if werr != nil {
		return werr
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

// sendPong answers a server PING. The PONG is owed like a borrowed
// handler's reply: written before the reader's next read, or after at most
// maxOwedOps more ops (see serve).
func (c *Conn) sendPong() {
	w := &c.w
	w.mu.Lock()
	// A burst of PINGs is answered in full, but at most maxQueuedPongs
	// PONGs wait for a write: past that (a writer other than the reader is
	// at work and has not taken them yet) the reader waits until they are
	// taken, so a server that floods PINGs and reads nothing gets back
	// pressure (the reader stops reading), not a buffer that grows without
	// bound. A server that does not read at all makes the write time out,
	// which ends the session (WithWriteTimeout).
	for w.state == wsConnected && w.pongsQueued >= maxQueuedPongs {
		w.wake()
		w.cond.Wait()
	}
	if w.state == wsConnected {
		w.pongsQueued++
		w.buf = codec.AppendPong(w.buf)
		c.readerOwes = true
	}
	w.mu.Unlock()
}

// maxQueuedPongs bounds the PONGs waiting for one write (6 bytes each). A
// server sends a PING every ping interval (minutes); a thousand waiting is
// a burst, answered in batches of at most this size.
const maxQueuedPongs = 1024

// maxOwedOps bounds how many ops the reader handles, while the input keeps
// coming, between queuing a write it owes (a PONG, a reply from a borrowed
// handler) and writing it. Without the bound, a stream that never leaves
// the read buffer empty would hold them until it pauses. The reader writes
// them itself rather than waking the flusher: a goroutine woken by a busy
// reader may wait for the scheduler's next preemption (10 ms) when every
// processor is busy, and the reader is about to be done with them anyway.
// So what the reader owes is written after at most this many handler
// calls, or before its next read from the socket, whichever comes first; a
// larger bound batches more replies per write.
const maxOwedOps = 32

// payOwed writes what the reader owes: one write carries every reply to the
// input handled since the last one. When another writer is at work, that
// writer takes the bytes after its own (see writeBatch).
func (c *Conn) payOwed() {
	c.readerOwes, c.owedOps = false, 0
	c.writeBatch()
}

// owedFirst is a session's read source: the codec reader reads from the
// socket through it, so whatever the reader owes is written before each
// read, including one that will block for lack of input.
type owedFirst struct {
	c   *Conn
	src io.Reader
}

func (o *owedFirst) Read(p []byte) (int, error) {
	if o.c.readerOwes {
		o.c.payOwed()
	}
	return o.src.Read(p)
}

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
