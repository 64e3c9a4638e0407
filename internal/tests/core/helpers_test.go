package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

// Shared helpers of the core tests. connect and flush live in alloc_test.go.

// testCtx returns a context that ends after d or with the test.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// deadURL returns a nats:// URL on a loopback port nobody listens on.
func deadURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "nats://" + addr
}

// next reads one message from a SubscribeSync subscription or fails.
func next(t testing.TB, sub *core.Subscription) *core.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sub.Next(ctx)
	require.NoError(t, err)
	return m
}

// noMsg asserts that nothing arrives on sub within d.
func noMsg(t testing.TB, sub *core.Subscription, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := sub.Next(ctx)
	if err == nil {
		t.Fatalf("unexpected message on %q: %q", m.Subject, m.Data)
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// recv receives from ch or fails after 5 s.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting on channel")
	}
	var zero T
	return zero
}

// eventRec records a Conn's events and checks that the handler is never
// run concurrently with itself.
type eventRec struct {
	t       testing.TB
	mu      sync.Mutex
	events  []core.Event
	ch      chan core.Event
	active  atomic.Int32
	overlap atomic.Bool
}

func newEventRec(t testing.TB) *eventRec {
	return &eventRec{t: t, ch: make(chan core.Event, 1024)}
}

func (l *eventRec) handle(ev core.Event) {
	if l.active.Add(1) != 1 {
		l.overlap.Store(true)
	}
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.ch <- ev:
	default:
		l.t.Errorf("event log overflow")
	}
	l.active.Add(-1)
}

// option returns the WithEventHandler option feeding l.
func (l *eventRec) option() core.Option { return core.WithEventHandler(l.handle) }

// wait returns the next event of kind, failing after d; events of other
// kinds seen meanwhile are skipped (they stay in the log).
func (l *eventRec) wait(kind core.EventKind, d time.Duration) core.Event {
	l.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-l.ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timer.C:
			l.t.Fatalf("no %v event within %v; got %v", kind, d, l.kinds())
			return core.Event{}
		}
	}
}

// kinds lists the kinds of the events so far, in order.
func (l *eventRec) kinds() []core.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]core.EventKind, len(l.events))
	for i, ev := range l.events {
		out[i] = ev.Kind
	}
	return out
}

// lifeKinds is kinds without the failed reconnect attempts, whose number depends on how
// fast a restarted server comes back: the Conn's life, event by event.
func (l *eventRec) lifeKinds() []core.EventKind {
	var out []core.EventKind
	for _, k := range l.kinds() {
		if k != core.EventReconnectFailed {
			out = append(out, k)
		}
	}
	return out
}

func (l *eventRec) all() []core.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]core.Event(nil), l.events...)
}

func (l *eventRec) count(kind core.EventKind) int {
	n := 0
	for _, k := range l.kinds() {
		if k == kind {
			n++
		}
	}
	return n
}

// recordingDialer dials with transport's dialer and keeps a copy of every
// byte the client writes, so tests can read the CONNECT it sent.
type recordingDialer struct {
	inner transport.Dialer
	mu    sync.Mutex
	out   bytes.Buffer
}

func newRecordingDialer() *recordingDialer {
	return &recordingDialer{inner: transport.NewDialer()}
}

func (d *recordingDialer) Dial(ctx context.Context, addr transport.Addr) (transport.Conn, error) {
	c, err := d.inner.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, d: d}, nil
}

func (d *recordingDialer) written() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]byte(nil), d.out.Bytes()...)
}

type recordingConn struct {
	transport.Conn
	d *recordingDialer
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.d.mu.Lock()
	c.d.out.Write(b)
	c.d.mu.Unlock()
	return c.Conn.Write(b)
}

// sysAccounts is server configuration with a system account (user "sys")
// and an application account (user "app"), so tests can ask the server how
// it sees the application's connections.
const sysAccounts = `
accounts {
  SYS: { users: [ {user: sys, password: sys} ] }
  APP: { users: [ {user: app, password: app} ] }
}
system_account: SYS
`

// connInfo is the part of the server's CONNZ entry the tests look at.
type connInfo struct {
	Cid        uint64   `json:"cid"`
	Name       string   `json:"name"`
	Lang       string   `json:"lang"`
	Version    string   `json:"version"`
	Account    string   `json:"account"`
	User       string   `json:"authorized_user"`
	TLSVersion string   `json:"tls_version"`
	TLSFirst   bool     `json:"tls_first"`
	NumSubs    uint32   `json:"subscriptions"`
	Subs       []string `json:"subscriptions_list"`
	InMsgs     int64    `json:"in_msgs"`
}

// serverConns asks the server (through sys, a connection of the system
// account) for the connections it has.
func serverConns(t testing.TB, sys *core.Conn) []connInfo {
	t.Helper()
	ctx := testCtx(t, 5*time.Second)
	m, err := sys.Request(ctx, "$SYS.REQ.SERVER.PING.CONNZ", []byte(`{"subscriptions": true, "auth": true}`))
	require.NoError(t, err)
	var resp struct {
		Data struct {
			Conns []connInfo `json:"connections"`
		} `json:"data"`
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(m.Data, &resp), "%s", m.Data)
	require.Nil(t, resp.Error)
	return resp.Data.Conns
}

// serverConnNamed returns the server's entry of the connection called name.
func serverConnNamed(t testing.TB, sys *core.Conn, name string) connInfo {
	t.Helper()
	for _, c := range serverConns(t, sys) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("server has no connection named %q", name)
	return connInfo{}
}

// runSysServer starts a server with the system and application accounts.
func runSysServer(t testing.TB, opts ...harness.Option) *harness.Server {
	t.Helper()
	return harness.RunServer(t, append([]harness.Option{harness.WithConfig(sysAccounts)}, opts...)...)
}

func appConn(t testing.TB, s *harness.Server, opts ...core.Option) *core.Conn {
	t.Helper()
	return connect(t, s.ClientURL(), append([]core.Option{core.WithUserInfo("app", "app")}, opts...)...)
}

func sysConn(t testing.TB, s *harness.Server) *core.Conn {
	t.Helper()
	return connect(t, s.ClientURL(), core.WithUserInfo("sys", "sys"))
}

func itoa(i int) string { return strconv.Itoa(i) }
