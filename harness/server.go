package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// ServerInfo describes a running server.
type ServerInfo struct {
	ID      string // changes with every start
	Name    string // server_name
	Version string // nats-server version
	Host    string // always 127.0.0.1
	Port    int    // client port

	WebSocketPort int    // 0 without WithWebSocket
	ClusterName   string // "" outside a cluster
	ClusterPort   int    // route port, 0 outside a cluster
	MonitorPort   int    // HTTP monitoring port, process mode only (0 in-process)
	JetStream     bool   // JetStream enabled
}

// Server is a nats-server started by RunServer, Start or RunCluster. Its ports, files
// and JetStream store stay the same across Shutdown and Restart. Its methods are safe
// for concurrent use; lifecycle calls (Restart, Shutdown, LameDuck, Reload, Kill, ...)
// are serialized.
//
// Methods without an error result fail the test (t.Fatalf) when they cannot do their
// job; on a Server made by Start, which has no test, they panic instead.
type Server struct {
	t          testing.TB // nil for Start
	dir        string
	file       string
	ownsDir    bool
	retryPorts bool // the harness chose the ports and may choose again
	timeout    time.Duration

	lay *layout // fixed once the first start succeeded
	eng engine

	mu      sync.Mutex
	cfg     *config
	up      bool
	stopped bool
}

// RunServer starts a nats-server on a free loopback port, configured by opts (see the
// With... options for each default), and stops it when the test ends. It runs inside
// the test binary unless WithProcess is given. It returns once the server accepts
// connections; a server that cannot start fails the test with its log. When the test
// fails, the server's log is printed.
func RunServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(t.TempDir(), newConfig(opts), nil, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.t = t
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("harness: log of server %s (%s):\n%s", s.lay.name, s.dir, tail(s.Log(), logTailBytes))
		}
		s.Stop()
	})
	if err := s.startFirst(); err != nil {
		t.Fatalf("%v", err) // the cleanup prints the log
	}
	return s
}

// Start is RunServer without a test: the server's files go to a new temporary
// directory, and the caller must call Stop, which removes it.
func Start(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "starling-harness-")
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	s, err := newServer(dir, newConfig(opts), nil, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.ownsDir = true
	if err := s.startFirst(); err != nil {
		log := s.Log()
		s.Stop()
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, tail(log, logTailBytes))
	}
	return s, nil
}

// newServer prepares a server in dir: its layout, certificates, operator and engine.
// A cluster passes the material its nodes share.
func newServer(dir string, c *config, tlsm *TLSMaterial, op *Operator) (*Server, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Server{dir: dir, file: filepath.Join(dir, "nats-server.conf"), cfg: c, retryPorts: true, timeout: c.readyTimeout}
	s.lay = &layout{name: c.name, storeDir: c.storeDir}
	if s.lay.storeDir == "" {
		s.lay.storeDir = filepath.Join(dir, "jetstream")
	}
	if s.lay.name == "" {
		s.lay.name = "starling"
	}
	if err := s.ensureMaterial(c, tlsm, op); err != nil {
		return nil, err
	}
	if c.process {
		p, err := newProcess(s.file, filepath.Join(dir, "nats-server.log"), s.lay)
		if err != nil {
			return nil, err
		}
		s.eng = p
	} else {
		s.eng = newInProcess(s.file)
	}
	return s, nil
}

// ensureMaterial generates (or adopts) the TLS material and operator c needs.
func (s *Server) ensureMaterial(c *config, tlsm *TLSMaterial, op *Operator) error {
	if (c.tls != nil || (c.ws != nil && c.ws.tls)) && s.lay.tls == nil {
		if tlsm == nil {
			var err error
			if tlsm, err = newTLSMaterial(s.dir); err != nil {
				return err
			}
		}
		s.lay.tls = tlsm
	}
	if c.operator && s.lay.operator == nil {
		if op == nil {
			var err error
			if op, err = newOperator(s.dir); err != nil {
				return err
			}
		}
		s.lay.operator = op
	}
	return nil
}

// assignPorts picks free ports for every listener whose port the options left open.
func (s *Server) assignPorts() error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	c := s.cfg
	s.lay.port = c.port
	if s.lay.port == 0 {
		s.lay.port = ports[0]
	}
	s.lay.wsPort = 0
	if c.ws != nil {
		s.lay.wsScheme = "ws://"
		if c.ws.tls {
			s.lay.wsScheme = "wss://"
		}
		s.lay.wsPort = c.ws.port
		if s.lay.wsPort == 0 {
			s.lay.wsPort = ports[1]
		}
	}
	s.lay.monitorPort = 0
	if c.process {
		s.lay.monitorPort = ports[2]
	}
	if c.cluster != nil {
		s.lay.clusterPort = c.cluster.port
	}
	return nil
}

// maxPortAttempts bounds how often a start picks new ports after losing one to
// another process between choosing and binding it.
const maxPortAttempts = 4

func (s *Server) startFirst() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		if err := s.assignPorts(); err != nil {
			return err
		}
		err := s.startLocked()
		if err == nil || !s.retryPorts || !isAddrInUse(err) || attempt == maxPortAttempts {
			return err
		}
	}
}

// startLocked writes the configuration and starts the engine.
func (s *Server) startLocked() error {
	if s.stopped {
		return errors.New("harness: server was stopped")
	}
	if err := os.WriteFile(s.file, []byte(render(s.cfg, s.lay)), 0o600); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.eng.start(ctx); err != nil {
		return err
	}
	s.up = true
	return nil
}

// fail reports a failed lifecycle call: through the test, whose cleanup prints the
// server's log, or for a Server from Start by a panic that carries the log.
func (s *Server) fail(err error) {
	if s.t != nil {
		s.t.Helper()
		s.t.Fatalf("%v", err)
		return
	}
	panic(fmt.Errorf("%w\nserver log:\n%s", err, tail(s.eng.log(), logTailBytes)))
}

// ClientURL returns the URL clients connect to, "nats://127.0.0.1:PORT". The scheme
// stays nats:// with WithTLS: the server announces TLS in its INFO.
func (s *Server) ClientURL() string { return "nats://" + s.Addr() }

// Addr returns the client listener's address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return hostPort(s.lay.port) }

// WebSocketURL returns "ws://127.0.0.1:PORT" ("wss://..." with WSTLS), or "" without
// WithWebSocket.
func (s *Server) WebSocketURL() string {
	if s.lay.wsPort == 0 {
		return ""
	}
	return s.lay.wsScheme + hostPort(s.lay.wsPort)
}

// TLS returns the generated certificates, or nil when neither WithTLS nor a TLS
// WebSocket listener was asked for.
func (s *Server) TLS() *TLSMaterial { return s.lay.tls }

// Operator returns the operator-mode identities (WithOperator), or nil.
func (s *Server) Operator() *Operator { return s.lay.operator }

// CredsFile returns the path of the default user's .creds file in operator mode
// (WithOperator), or "".
func (s *Server) CredsFile() string {
	if s.lay.operator == nil {
		return ""
	}
	return s.lay.operator.DefaultUser().CredsFile
}

// Dir returns the server's directory: its configuration, certificates, JetStream store
// (Dir()/jetstream unless WithStoreDir) and, in process mode, its log.
func (s *Server) Dir() string { return s.dir }

// ConfigFile returns the path of the generated nats-server configuration file.
func (s *Server) ConfigFile() string { return s.file }

// Log returns what the server logged so far (notices, warnings and errors).
func (s *Server) Log() string { return s.eng.log() }

// Running reports whether the server was started and has not been shut down by the
// harness (a server that finished lame-duck mode or was killed reports false).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

// Info describes the running server; it fails the test when the server is down.
func (s *Server) Info() ServerInfo {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	inf, err := s.eng.info(ctx)
	if err != nil {
		s.fail(fmt.Errorf("harness: info of %s: %w", s.lay.name, err))
		return inf
	}
	inf.Host = "127.0.0.1"
	inf.Port = s.lay.port
	inf.WebSocketPort = s.lay.wsPort
	inf.ClusterPort = s.lay.clusterPort
	inf.MonitorPort = s.lay.monitorPort
	return inf
}

// Restart stops the server if it runs and starts it again with the same ports,
// configuration and JetStream store, returning once it accepts connections.
func (s *Server) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng.shutdown()
	s.up = false
	if err := s.startLocked(); err != nil {
		s.fail(fmt.Errorf("harness: restart of %s: %w", s.lay.name, err))
	}
}

// Shutdown stops the server gracefully and waits until it is down. Restart brings it
// back. A stopped server is left alone.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng.shutdown()
	s.up = false
}

// Stop shuts the server down for good and releases what the harness made for it (for
// a Server from Start, its temporary directory). It may be called more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng.shutdown()
	s.up = false
	if s.stopped {
		return
	}
	s.stopped = true
	if s.ownsDir {
		os.RemoveAll(s.dir)
	}
}

// LameDuck puts the server in lame-duck mode: it stops accepting clients, sends its
// clients an INFO with "ldm":true, waits the grace period (WithLameDuck), closes the
// clients over the lame-duck duration and shuts down. LameDuck returns once the server
// stopped accepting clients. Restart brings it back.
func (s *Server) LameDuck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.eng.lameDuck(ctx); err != nil {
		s.fail(fmt.Errorf("harness: lame duck of %s: %w", s.lay.name, err))
	}
	s.up = false
}

// Reload applies opts on top of the server's options, rewrites its configuration and
// makes the running server reload it: use it to add or change users, limits or TLS
// settings, or (after Operator.RevokeUser) to revoke a user. Ports and the mode
// (WithProcess) cannot change, and nats-server rejects changes it cannot apply live
// (JetStream on or off, WebSocket settings); then the previous configuration stays.
func (s *Server) Reload(opts ...Option) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg.clone()
	for _, o := range opts {
		o(c)
	}
	if err := c.validate(); err != nil {
		return err
	}
	if c.process != s.cfg.process || c.port != s.cfg.port {
		return errors.New("harness: reload cannot change the port or the mode")
	}
	if err := s.ensureMaterial(c, nil, nil); err != nil {
		return err
	}
	old, err := os.ReadFile(s.file)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if err := os.WriteFile(s.file, []byte(render(c, s.lay)), 0o600); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.eng.reload(ctx); err != nil {
		os.WriteFile(s.file, old, 0o600)
		return err
	}
	s.cfg = c
	return nil
}

// WaitJetStreamReady waits until the server reports itself healthy, JetStream included
// (in a cluster: a meta leader is known and this server is current with it).
func (s *Server) WaitJetStreamReady(ctx context.Context) error {
	return poll(ctx, func() error { return s.eng.healthz(ctx) })
}

// String returns the server's name and client address.
func (s *Server) String() string { return s.lay.name + "@" + strconv.Itoa(s.lay.port) }
