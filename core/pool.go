package core

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"

	"github.com/starling-nats/starling/transport"
)

// maxDiscoveredServers bounds the servers a cluster may add to the pool
// through INFO, so that a hostile or broken server cannot grow it without
// limit. Real clusters and superclusters announce far fewer.
const maxDiscoveredServers = 1024

// poolServer is one server the Conn may connect to.
type poolServer struct {
	addr transport.Addr
	// url is the address without credentials, for events and errors.
	url        string
	discovered bool
	// Credentials from the URL, or inherited from the configured URL a
	// discovered server was learned through (same cluster, same accounts).
	user, pass, token string
	failures          int // consecutive failed attempts
	authFailures      int // consecutive authorization failures
}

// serverPool is the set of servers to try, in order. Its own lock guards
// it; it is never held while calling out.
type serverPool struct {
	mu      sync.Mutex
	servers []*poolServer
	// known indexes servers by host:port, so that an INFO announcing
	// many servers costs one lookup per URL, not a scan of the pool.
	known map[string]*poolServer
	// discovered counts the servers learned from INFO, bounded by
	// maxDiscoveredServers.
	discovered int
	// template is the first configured server: discovered servers take its
	// scheme, credentials and TLS name.
	template *poolServer
}

func newPoolServer(raw string) (*poolServer, error) {
	a, err := transport.ParseAddr(raw)
	if err != nil {
		return nil, err
	}
	s := &poolServer{addr: a, url: a.String()}
	s.user, s.pass, s.token = a.User, a.Password, a.Token
	return s, nil
}

func (p *serverPool) init(urls []string, dontRandomize bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.servers = p.servers[:0]
	p.known = make(map[string]*poolServer)
	p.discovered = 0
	for _, u := range urls {
		s, err := newPoolServer(u)
		if err != nil {
			return fmt.Errorf("%w: server url: %v", ErrInvalidOption, err)
		}
		if p.known[s.addr.HostPort()] != nil {
			continue
		}
		if p.template == nil {
			p.template = s
		}
		p.servers = append(p.servers, s)
		p.known[s.addr.HostPort()] = s
	}
	if len(p.servers) == 0 {
		return fmt.Errorf("%w: no server url", ErrInvalidOption)
	}
	if !dontRandomize {
		rand.Shuffle(len(p.servers), func(i, j int) { p.servers[i], p.servers[j] = p.servers[j], p.servers[i] })
	}
	return nil
}

// snapshot returns the servers in pool order.
func (p *serverPool) snapshot() []*poolServer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*poolServer(nil), p.servers...)
}

// order returns the servers to try after leaving last: every other server
// first, last at the end, so a client does not hammer the server it just
// lost (or that asked it to leave).
func (p *serverPool) order(last *poolServer) []*poolServer {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*poolServer, 0, len(p.servers))
	for _, s := range p.servers {
		if s != last {
			out = append(out, s)
		}
	}
	for _, s := range p.servers {
		if s == last {
			out = append(out, s)
		}
	}
	return out
}

// failed records a failed attempt on s and removes it from the pool when it
// has failed too often. It reports whether s was removed.
func (p *serverPool) failed(s *poolServer, err error, o reconnectOptions) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.failures++
	if errors.Is(err, ErrAuthorization) || errors.Is(err, ErrAuthExpired) {
		s.authFailures++
	} else {
		s.authFailures = 0
	}
	remove := s.authFailures >= o.maxAuthFailures ||
		(o.maxReconnects >= 0 && s.failures > o.maxReconnects)
	if remove {
		if i := p.indexOf(s); i >= 0 {
			p.removeAt(i)
		}
	}
	return remove
}

func (p *serverPool) indexOf(s *poolServer) int {
	for i, x := range p.servers {
		if x == s {
			return i
		}
	}
	return -1
}

// shortSession counts a session that ended soon after it started as a
// failed attempt on s (not as an authorization failure: the handshake was
// accepted), so a server that keeps dropping us leaves the pool after
// MaxReconnects like one that refuses us.
func (p *serverPool) shortSession(s *poolServer, o reconnectOptions) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.failures++
	if o.maxReconnects < 0 || s.failures <= o.maxReconnects {
		return false
	}
	if i := p.indexOf(s); i >= 0 {
		p.removeAt(i)
	}
	return true
}

// removeAt drops the server at index i; p.mu held.
func (p *serverPool) removeAt(i int) {
	s := p.servers[i]
	p.servers = append(p.servers[:i], p.servers[i+1:]...)
	if p.known[s.addr.HostPort()] == s {
		delete(p.known, s.addr.HostPort())
	}
	if s.discovered {
		p.discovered--
	}
}

// connected resets s's failure counts.
func (p *serverPool) connected(s *poolServer) {
	p.mu.Lock()
	s.failures, s.authFailures = 0, 0
	p.mu.Unlock()
}

func (p *serverPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.servers)
}

// discover adds the servers a cluster announced (host:port entries, as INFO
// connect_urls carries them) and returns the URLs of those that were new.
func (p *serverPool) discover(hostPorts []string, scheme string, randomize bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var added []*poolServer
	for _, hp := range hostPorts {
		if p.known[hp] != nil {
			continue
		}
		if p.discovered+len(added) >= maxDiscoveredServers {
			break // a cluster this size is no cluster; a flood is not trusted
		}
		s, err := newPoolServer(scheme + "://" + hp)
		if err != nil || p.known[s.addr.HostPort()] != nil {
			continue
		}
		p.known[s.addr.HostPort()] = s
		s.discovered = true
		if t := p.template; t != nil {
			s.user, s.pass, s.token = t.user, t.pass, t.token
			// A cluster announces IPs; the certificate names the host the
			// user gave, so keep checking against that.
			if name := t.addr.TLSServerName(); net.ParseIP(s.addr.Host) != nil && net.ParseIP(name) == nil {
				s.addr.ServerName = name
			}
			s.addr.Path = t.addr.Path
		}
		added = append(added, s)
	}
	if randomize {
		rand.Shuffle(len(added), func(i, j int) { added[i], added[j] = added[j], added[i] })
	}
	urls := make([]string, 0, len(added))
	for _, s := range added {
		p.servers = append(p.servers, s)
		p.discovered++
		urls = append(urls, s.url)
	}
	return urls
}

// urls lists the pool, credentials redacted.
func (p *serverPool) urls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.servers))
	for i, s := range p.servers {
		out[i] = s.url
	}
	return out
}

// ServerPool returns the URLs the Conn may connect to (credentials
// redacted), configured and discovered, in the order it tries them.
func (c *Conn) ServerPool() []string { return c.pool.urls() }

// SetServerPool replaces the server pool. The current session is kept even
// when its server is not in the new pool; the pool is used from the next
// reconnect on. The order is kept as given when WithDontRandomize was set.
func (c *Conn) SetServerPool(urls ...string) error {
	var next serverPool
	if err := next.init(urls, c.opts.reconnect.dontRandomize); err != nil {
		return err
	}
	c.pool.mu.Lock()
	c.pool.servers = next.servers
	c.pool.known = next.known
	c.pool.discovered = next.discovered
	c.pool.template = next.template
	c.pool.mu.Unlock()
	return nil
}
