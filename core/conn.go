package core

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/transport"
)

// Status is where a Conn is in its life.
type Status int32

// The states of a Conn. See docs/architecture.md for the transitions.
const (
	StatusConnecting Status = iota
	StatusConnected
	StatusReconnecting
	StatusDraining
	StatusClosed
)

func (s Status) String() string {
	switch s {
	case StatusConnecting:
		return "connecting"
	case StatusConnected:
		return "connected"
	case StatusReconnecting:
		return "reconnecting"
	case StatusDraining:
		return "draining"
	case StatusClosed:
		return "closed"
	}
	return "unknown"
}

// Conn is a client connection to a NATS system. It survives the loss of
// any one server: it reconnects through its server pool, restores its
// subscriptions and replays the publishes made meanwhile. All methods are
// safe for concurrent use.
//
// A Conn runs three goroutines of its own: the reader (decodes, dispatches,
// reconnects), the flusher (writes batches, keep-alive PINGs) and, while
// there are any, the event deliverer. Subscriptions with owned handlers or
// channels add one goroutine each while they have messages waiting.
type Conn struct {
	opts options

	status atomic.Int32
	// sess is the live session, nil between sessions. Read by accessors.
	sess atomic.Pointer[session]
	// maxPayload mirrors the current server's max_payload for Publish.
	maxPayload atomic.Int64
	headers    atomic.Bool

	w      writer
	subs   subTable
	resp   respMux
	events eventHub
	pool   serverPool
	stats  counters

	// staleRule is set (markStale) when a keep-alive rule declared the
	// session dead, so the reader reports the session's end as stale, with
	// the rule, rather than as a read error.
	staleRule atomic.Uint32
	// force is set by ForceReconnect for the same reason, and leaving when
	// the Conn leaves a lame-duck server.
	force   atomic.Bool
	leaving atomic.Bool
	// draining is set once Drain starts; it outlives reconnects.
	draining atomic.Bool

	// tls is what TLS connections are configured from.
	tls *transport.TLSSettings
	// life ends when the Conn closes; connection attempts run under it.
	life       context.Context
	cancelLife context.CancelFunc

	closeOnce sync.Once
	closing   chan struct{} // closed when Close begins
	done      chan struct{} // closed when the reader goroutine has exited
	closeErr  error         // why the Conn closed; written before done closes
	wg        sync.WaitGroup

	// reconnected wakes Flush calls waiting out a disconnection.
	reconnMu    sync.Mutex
	reconnected chan struct{}

	// borrowed is the reader goroutine's reusable BorrowedMsg.
	borrowed BorrowedMsg
	// lastSub is the subscription the reader dispatched to last (reader
	// goroutine only); see dispatch.
	lastSub *Subscription
	// readerOwes is set, on the reader goroutine only, when ops were
	// queued without waking the flusher; the reader writes them before it
	// blocks on the next read.
	readerOwes bool
	// auth secrets held for reconnects, wiped when the reader (the only
	// goroutine that reads them once Connect returned) exits.
	secrets authSecrets
}

// session is one connection to one server.
type session struct {
	conn   transport.Conn
	reader *codec.Reader
	server *poolServer
	// info is the server's latest INFO; async INFO replaces it.
	info atomic.Pointer[codec.ServerInfo]

	leaveScheduled atomic.Bool
	leaveTimer     *time.Timer
	// started is when the session was installed (set before it is
	// published, read by the reader only).
	started time.Time
}

// Connect connects to the servers in url (several may be separated by
// commas; more come with WithServers) and returns once the first server
// accepted the connection, or fails when none did within ctx. With
// WithRetryOnFailedConnect it returns at once and keeps trying in the
// background.
func Connect(ctx context.Context, url string, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	var urls []string
	for _, s := range strings.Split(url, ",") {
		if s = strings.TrimSpace(s); s != "" {
			urls = append(urls, s)
		}
	}
	urls = append(urls, o.servers...)
	if len(urls) == 0 {
		urls = []string{DefaultURL}
	}
	o.servers = urls
	ts, err := tlsSettings(&o)
	if err != nil {
		return nil, err
	}
	if o.dialer == nil {
		o.dialer = defaultDialer(&o, ts)
	}
	c := &Conn{opts: o, tls: ts, closing: make(chan struct{}), done: make(chan struct{})}
	c.life, c.cancelLife = context.WithCancel(context.Background())
	// Until a server says otherwise: no client-side payload limit, headers on.
	c.maxPayload.Store(math.MaxInt64)
	c.headers.Store(true)
	if err := c.pool.init(urls, o.reconnect.dontRandomize); err != nil {
		return nil, err
	}
	c.secrets.a = &c.opts.auth
	c.w.init(o.writeBuffer, o.reconnect.bufferSize)
	c.subs.init()
	c.resp.init(c)
	c.events.init(o.onEvent)
	c.reconnected = make(chan struct{})
	c.status.Store(int32(StatusConnecting))

	sess, err := c.connectFirst(ctx)
	if err != nil {
		if !o.reconnect.retryOnFailed || ctx.Err() != nil {
			c.secrets.wipe()
			c.cancelLife()
			return nil, err
		}
		// Keep trying in the background, as reconnect does.
		c.setStatus(StatusReconnecting)
		c.wg.Add(2)
		go c.readLoop(nil, err)
		go c.flushLoop()
		return c, nil
	}
	c.install(sess, false)
	c.wg.Add(2)
	go c.readLoop(sess, nil)
	go c.flushLoop()
	return c, nil
}

// connectFirst tries each server of the pool once, in order.
func (c *Conn) connectFirst(ctx context.Context) (*session, error) {
	var errs []error
	for _, srv := range c.pool.snapshot() {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		sess, err := c.handshake(ctx, srv)
		if err == nil {
			return sess, nil
		}
		c.pool.failed(srv, err, c.opts.reconnect)
		errs = append(errs, err)
		if errors.Is(err, ErrAuthorization) && len(c.pool.snapshot()) <= 1 {
			break
		}
	}
	return nil, errors.Join(append([]error{ErrNoServers}, errs...)...)
}

// Status reports where the Conn is in its life.
func (c *Conn) Status() Status { return Status(c.status.Load()) }

// setStatus moves the Conn to status to, in one compare-and-swap, when the
// move is allowed from where it is (see docs/architecture.md), and reports
// the status it left. It never leaves StatusClosed: a reconnect or a Drain
// that races with Close cannot bring a closed Conn back. Only close moves to
// StatusClosed.
func (c *Conn) setStatus(to Status) (from Status, ok bool) {
	for {
		from = Status(c.status.Load())
		if !statusMove(from, to) {
			return from, false
		}
		if c.status.CompareAndSwap(int32(from), int32(to)) {
			return from, true
		}
	}
}

// statusMove reports whether a Conn may move from one status to another.
func statusMove(from, to Status) bool {
	switch to {
	case StatusConnected:
		// Draining keeps its status through reconnects.
		return from == StatusConnecting || from == StatusReconnecting
	case StatusReconnecting:
		return from == StatusConnecting || from == StatusConnected
	case StatusDraining:
		return from == StatusConnecting || from == StatusConnected || from == StatusReconnecting
	}
	return false
}

// IsConnected reports whether a session is up.
func (c *Conn) IsConnected() bool { return c.Status() == StatusConnected }

// IsClosed reports whether the Conn is closed.
func (c *Conn) IsClosed() bool { return c.Status() == StatusClosed }

// Close closes the connection at once: buffered publishes that were not
// written are dropped (use Drain to send them), subscriptions end, and the
// Closed event fires. It is safe to call more than once and from handlers.
func (c *Conn) Close() {
	c.close(nil)
}

// close ends the Conn with reason (nil for a user's Close).
func (c *Conn) close(reason error) {
	c.closeOnce.Do(func() {
		// closeErr is written before the status, whose atomic store
		// publishes it to the reader.
		c.closeErr = reason
		c.status.Store(int32(StatusClosed))
		// No session from now on, for the accessors (ConnectedURL,
		// ServerInfo...), even before the reader has torn it down.
		c.sess.Store(nil)
		w := &c.w
		w.mu.Lock()
		w.state = wsClosed
		if w.conn != nil {
			_ = w.conn.Close()
		}
		pongs := w.pongs
		w.pongs = nil
		w.cond.Broadcast()
		w.mu.Unlock()
		for _, ch := range pongs {
			if ch != nil {
				ch <- ErrConnectionClosed
			}
		}
		close(c.closing)
		c.cancelLife()
		c.wakeReconnectWaiters()
		c.subs.closeAll()
		c.resp.closeAll()
		// The secrets are wiped by the reader on its way out, not here: a
		// reconnect handshake on the reader may be reading them right now.
	})
}

// Closed returns a channel closed when the Conn has fully shut down (its
// reader has exited and the Closed event is queued).
func (c *Conn) Closed() <-chan struct{} { return c.done }

// Err returns why the Conn closed: nil after Close or a completed Drain,
// otherwise the error that ended it (no servers left, authorization...).
// Valid once the Conn is closed (from the EventClosed handler on).
func (c *Conn) Err() error {
	// closeErr is written before the closed status is stored, so once the
	// status says closed (as it does when EventClosed is handled) it is
	// complete.
	if c.Status() == StatusClosed {
		return c.closeErr
	}
	return nil
}

// markStale records that rule declared the session dead; the caller then
// closes the socket, and the reader reports the end with the rule.
func (c *Conn) markStale(rule StaleRule) { c.staleRule.Store(uint32(rule)) }

// staleReason returns, once, the error for the rule that declared the
// session dead, or nil.
func (c *Conn) staleReason() error {
	if r := StaleRule(c.staleRule.Swap(0)); r != 0 {
		return &StaleConnectionError{Rule: r}
	}
	return nil
}

// wakeReconnectWaiters releases everything waiting for the next session.
func (c *Conn) wakeReconnectWaiters() {
	c.reconnMu.Lock()
	close(c.reconnected)
	c.reconnected = make(chan struct{})
	c.reconnMu.Unlock()
}

// waitConnected blocks until a session is up, the Conn closes, or ctx ends.
func (c *Conn) waitConnected(ctx context.Context) error {
	for {
		switch c.Status() {
		case StatusConnected, StatusDraining:
			return nil
		case StatusClosed:
			return ErrConnectionClosed
		}
		c.reconnMu.Lock()
		ch := c.reconnected
		c.reconnMu.Unlock()
		if c.Status() == StatusConnected {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
