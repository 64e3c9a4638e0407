package harness

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy between clients and a server, for partitions without
// root: Cut, Blackhole and Delay its links, Heal them. It forwards bytes and knows no
// protocol, so it serves plain, TLS and WebSocket listeners alike. Its methods are
// safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu      sync.Mutex
	mode    ProxyMode
	delay   time.Duration
	changed chan struct{} // closed and replaced whenever mode or delay change
	links   map[*link]struct{}
	closed  bool
}

// ProxyMode is what a Proxy does with its links, as Mode reports it.
type ProxyMode int

// The modes of a Proxy.
const (
	ProxyForwarding ProxyMode = iota // forwarding (after NewProxy or Heal); Delay may hold bytes
	ProxyCut                         // resetting every link (Cut)
	ProxyBlackholed                  // holding every byte (Blackhole)
)

// proxyChunk bounds one read; proxyQueue bounds how many chunks a direction holds
// while blackholed or delayed before it stops reading (and TCP backpressure starts).
const (
	proxyChunk       = 32 << 10
	proxyQueue       = 16
	proxyDialTimeout = 5 * time.Second
)

// NewProxy starts a proxy on a free loopback port that forwards to targetAddr
// ("host:port"), and closes it when the test ends. It starts forwarding.
func NewProxy(t testing.TB, targetAddr string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: proxy: %v", err)
	}
	p := &Proxy{target: targetAddr, ln: ln, changed: make(chan struct{}), links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns "nats://" + Addr().
func (p *Proxy) URL() string { return "nats://" + p.Addr() }

// Target returns the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Links returns how many client connections the proxy holds open.
func (p *Proxy) Links() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Cut resets every link (both ends see a connection reset) and resets new connections
// as soon as they are accepted, until Heal.
func (p *Proxy) Cut() {
	p.mu.Lock()
	links := p.links
	p.links = map[*link]struct{}{}
	p.setLocked(ProxyCut, p.delay)
	p.mu.Unlock()
	for l := range links {
		l.close(true)
	}
}

// Blackhole stops forwarding in both directions while keeping every link open, as a
// network partition does: bytes sent either way are held (up to a bound, then the
// sender blocks) and new connections are accepted but not forwarded. Heal delivers
// what was held.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	p.setLocked(ProxyBlackholed, p.delay)
	p.mu.Unlock()
}

// Delay holds every chunk of bytes for d before forwarding it, in each direction (a
// round trip grows by 2d). Delay(0) removes the delay.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	p.setLocked(p.mode, d)
	p.mu.Unlock()
}

// Heal undoes Cut, Blackhole and Delay: the proxy forwards again, at once.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.setLocked(ProxyForwarding, 0)
	p.mu.Unlock()
}

// Close stops the proxy: it closes the listener and every link and waits for its
// goroutines. NewProxy registers it as a test cleanup; calling it again does nothing.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	links := p.links
	p.links = map[*link]struct{}{}
	close(p.changed)
	p.mu.Unlock()
	p.ln.Close()
	for l := range links {
		l.close(false)
	}
	p.wg.Wait()
}

func (p *Proxy) setLocked(m ProxyMode, d time.Duration) {
	if p.closed {
		return
	}
	p.mode, p.delay = m, d
	close(p.changed)
	p.changed = make(chan struct{})
}

// gate returns the proxy's state and a channel closed on its next change.
func (p *Proxy) gate() (ProxyMode, time.Duration, <-chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.delay, p.changed, p.closed
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		l := &link{client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed || p.mode == ProxyCut {
			p.mu.Unlock()
			l.close(true)
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// serve connects a link to the target once the proxy lets it, then pumps both ways.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer p.forget(l)
	for {
		mode, _, changed, closed := p.gate()
		if closed || mode == ProxyCut {
			l.close(true)
			return
		}
		if mode == ProxyForwarding {
			break
		}
		select { // blackholed: hold the connection, unanswered
		case <-changed:
		case <-l.done:
			return
		}
	}
	srv, err := net.DialTimeout("tcp", p.target, proxyDialTimeout)
	if err != nil {
		l.close(true)
		return
	}
	if !l.setServer(srv) {
		srv.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(l, l.client, srv) }()
	go func() { defer wg.Done(); p.pump(l, srv, l.client) }()
	wg.Wait()
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

type chunk struct {
	data []byte
	at   time.Time
}

// pump copies src to dst through a bounded queue, obeying the proxy's state at the
// moment each chunk is to be written. Any error ends the whole link.
func (p *Proxy) pump(l *link, src, dst net.Conn) {
	defer l.close(false)
	queue := make(chan chunk, proxyQueue)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(queue)
		for {
			buf := make([]byte, proxyChunk)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case queue <- chunk{buf[:n], time.Now()}:
				case <-l.done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() { <-readerDone }()
	for c := range queue {
		if !p.wait(l, c.at) {
			return
		}
		if _, err := dst.Write(c.data); err != nil {
			return
		}
	}
}

// wait blocks until a chunk read at 'at' may be written; false when the link ends.
func (p *Proxy) wait(l *link, at time.Time) bool {
	for {
		mode, delay, changed, closed := p.gate()
		if closed || mode == ProxyCut {
			return false
		}
		var t *time.Timer
		var timer <-chan time.Time
		if mode == ProxyForwarding {
			d := time.Until(at.Add(delay))
			if d <= 0 {
				return true
			}
			t = time.NewTimer(d)
			timer = t.C
		}
		select {
		case <-timer:
			return true
		case <-changed:
		case <-l.done:
			return false
		}
		if t != nil {
			t.Stop()
		}
	}
}

// link is one client connection and, once dialed, its server connection.
type link struct {
	client net.Conn
	done   chan struct{}

	mu     sync.Mutex
	server net.Conn
	closed bool
}

func (l *link) setServer(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.server = c
	return true
}

// close ends the link; reset makes both ends see a connection reset rather than EOF.
func (l *link) close(reset bool) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	srv := l.server
	l.mu.Unlock()
	close(l.done)
	for _, c := range []net.Conn{l.client, srv} {
		if c == nil {
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok && reset {
			tc.SetLinger(0)
		}
		c.Close()
	}
}

// Mode returns what the proxy does now.
func (p *Proxy) Mode() ProxyMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}
