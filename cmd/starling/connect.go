package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// drainTimeout bounds the drain of each connection when a command ends, so
// that Ctrl-C against a dead server still exits promptly.
const drainTimeout = 5 * time.Second

// stdio is what a command reads, writes and looks up; tests pass their own.
type stdio struct {
	stdin io.Reader
	// stdinIsTerminal says whether stdin is a person typing (then pub does
	// not wait for a body on it).
	stdinIsTerminal bool
	stdout          io.Writer
	// stderr is safe for concurrent use: connection events are written from
	// the connection's goroutine.
	stderr io.Writer
	// stderrIsTerminal allows progress lines with carriage returns.
	stderrIsTerminal bool
	getenv           func(string) string
}

// osStdio is the process's stdio, with the dispatcher's stdout and stderr.
func osStdio(stdout, stderr io.Writer) *stdio {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = isTerminal(f)
	}
	return &stdio{
		stdin:            os.Stdin,
		stdinIsTerminal:  isTerminal(os.Stdin),
		stdout:           stdout,
		stderr:           &lockedWriter{w: stderr},
		stderrIsTerminal: tty,
		getenv:           os.Getenv,
	}
}

// lockedWriter serializes writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// link is a command's way to the NATS system: the server URLs, the embedded
// server when nothing answered, and the connections opened, which close
// drains in reverse order before the embedded server stops.
type link struct {
	st       *stdio
	url      string
	embedded *harness.Server
	opts     []core.Option
	name     string // --connection-name, "" for each connection's own
	conns    []*conn
}

// conn is a connection with the bookkeeping of its event handler, so close
// can wait until the last event has been printed.
type conn struct {
	*core.Conn
	closed chan struct{} // closed once the Closed event has been handled
}

// open resolves where cmd connects: --server, $NATS_URL, else the default
// URL when something answers there, else an embedded nats-server
// (JetStream on) started now and announced on stderr. The caller must call
// close.
func (g *globals) open(cmd cmdPath) (*link, error) {
	f, st := &g.conn, g.st
	f.fromEnv(st.getenv)
	opts, err := f.options(cmd)
	if err != nil {
		return nil, err
	}
	l := &link{st: st, opts: opts, name: f.name, url: f.server}
	if l.url != "" {
		return l, nil
	}
	def := defaultServerURL(st.getenv)
	if answers(def, f.timeout) {
		l.url = def
		return l, nil
	}
	if set := f.secured(); len(set) > 0 {
		return nil, fmt.Errorf("nothing answers at %s, and %s need a server of yours (--server or $%s): the embedded one has no authentication or TLS", def, strings.Join(set, ", "), envURL)
	}
	s, err := harness.Start(harness.WithJetStream(), harness.WithName("starling-embedded"))
	if err != nil {
		return nil, fmt.Errorf("starting an embedded nats-server: %w", err)
	}
	l.embedded, l.url = s, s.ClientURL()
	fmt.Fprintf(st.stderr, "starling: nothing answers at %s: started an embedded nats-server %s at %s (JetStream on) for this command\n",
		def, s.Info().Version, l.url)
	return l, nil
}

// defaultServerURL is nats://127.0.0.1:4222, or $STARLING_DEFAULT_URL.
func defaultServerURL(getenv func(string) string) string {
	if u := strings.TrimSpace(getenv(envDefaultURL)); u != "" {
		return u
	}
	return defaultURL
}

// answers reports whether something accepts TCP connections at the
// server of url; a refusal comes at once, silence is bounded by timeout.
func answers(url string, timeout time.Duration) bool {
	addr, ok := hostPort(url)
	if !ok {
		return false
	}
	c, err := net.DialTimeout("tcp", addr, min(timeout, time.Second))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// hostPort is the host:port of a nats:// URL (port 4222 when it has none).
func hostPort(raw string) (string, bool) {
	u, err := neturl.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = "4222"
	}
	return net.JoinHostPort(u.Hostname(), port), true
}

// connect opens a connection named name ("starling sub") with the link's
// options and extra. Connection events that matter to a person at the
// terminal (lost, back, slow consumer, errors) are reported on stderr.
func (l *link) connect(ctx context.Context, name string, extra ...core.Option) (*conn, error) {
	c := &conn{closed: make(chan struct{})}
	if l.name != "" {
		name = l.name
	}
	opts := append([]core.Option{
		core.WithName(name),
		core.WithEventHandler(func(ev core.Event) { l.report(name, c, ev) }),
	}, l.opts...)
	opts = append(opts, extra...)
	nc, err := core.Connect(ctx, l.url, opts...)
	if err != nil {
		return nil, err
	}
	c.Conn = nc
	l.conns = append(l.conns, c)
	return c, nil
}

// report prints an event on stderr.
func (l *link) report(name string, c *conn, ev core.Event) {
	w := l.st.stderr
	switch ev.Kind {
	case core.EventDisconnected:
		fmt.Fprintf(w, "starling: %s: disconnected from %s: %v; reconnecting\n", name, ev.Server, ev.Err)
	case core.EventReconnected:
		fmt.Fprintf(w, "starling: %s: reconnected to %s\n", name, ev.Server)
	case core.EventLameDuck:
		fmt.Fprintf(w, "starling: %s: %s is shutting down (lame duck mode)\n", name, ev.Server)
	case core.EventSlowConsumer:
		fmt.Fprintf(w, "starling: %s: slow consumer: dropping messages on %q\n", name, ev.Sub.Subject())
	case core.EventAsyncError:
		fmt.Fprintf(w, "starling: %s: %v\n", name, ev.Err)
	case core.EventClosed:
		if ev.Err != nil {
			fmt.Fprintf(w, "starling: %s: connection closed: %v\n", name, ev.Err)
		}
		close(c.closed)
	}
}

// close drains every connection (subscriptions deliver what they hold,
// publishes are flushed), newest first, then stops the embedded server. It
// returns the first drain error.
func (l *link) close() error {
	var first error
	for i := len(l.conns) - 1; i >= 0; i-- {
		if err := l.conns[i].drain(); err != nil && first == nil {
			first = err
		}
	}
	l.conns = nil
	if l.embedded != nil {
		l.embedded.Stop()
		l.embedded = nil
	}
	return first
}

// release drains and closes c before the link closes.
func (l *link) release(c *conn) error {
	l.conns = slices.DeleteFunc(l.conns, func(x *conn) bool { return x == c })
	return c.drain()
}

// drain drains c within drainTimeout, closes it, and waits until its last
// event has been printed, so that nothing is written after the command
// returns.
func (c *conn) drain() error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	err := c.Drain(ctx)
	c.Close()
	wait := time.NewTimer(drainTimeout)
	defer wait.Stop()
	select {
	case <-c.closed:
	case <-wait.C:
	}
	if err != nil && !errors.Is(err, core.ErrConnectionClosed) {
		return fmt.Errorf("draining the connection: %w", err)
	}
	return nil
}

// redact hides the passwords and tokens of URLs before they are printed.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		u = strings.TrimSpace(u)
		scheme, rest, ok := strings.Cut(u, "://")
		if !ok {
			continue
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			parts[i] = scheme + "://***@" + rest[at+1:]
		}
	}
	return strings.Join(parts, ",")
}

// warnEmbedded says, for pub and req, that on an embedded server nobody
// else can be listening: what is sent goes nowhere but to this command.
func (l *link) warnEmbedded(what string) {
	if l.embedded != nil {
		fmt.Fprintf(l.st.stderr, "starling: warning: no other client can reach this embedded server, so nobody receives this %s; start one with 'starling server' or give --server\n", what)
	}
}
