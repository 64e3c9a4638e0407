package harness

import (
	"fmt"
	"time"
)

// Defaults of the options, defined once; each option's doc names the one it changes.
const (
	// DefaultLameDuckDuration is how long a server in lame-duck mode takes to close its
	// clients. nats-server refuses anything shorter in a configuration file. The server
	// closes clients at most one second apart, so a test with a few clients is quick anyway.
	DefaultLameDuckDuration = 30 * time.Second
	// DefaultLameDuckGracePeriod is how long a server in lame-duck mode waits, after it
	// sent clients the INFO with "ldm", before it starts closing them. Short so tests are
	// quick (nats-server's own default is 10s).
	DefaultLameDuckGracePeriod = 500 * time.Millisecond
	// DefaultTLSTimeout is the TLS handshake timeout the server enforces.
	DefaultTLSTimeout = 2 * time.Second
	// DefaultReadyTimeout bounds how long starting a server may take before the test
	// fails (JetStream store recovery included).
	DefaultReadyTimeout = 30 * time.Second
)

// Option configures a server started by RunServer, Start or RunCluster, or changed by
// Server.Reload. Options are applied in order; a later one overrides an earlier one.
type Option func(*config)

// TLSOption configures the TLS of the client listener (WithTLS).
type TLSOption func(*tlsSettings)

// WSOption configures the WebSocket listener (WithWebSocket).
type WSOption func(*wsSettings)

type userPass struct{ user, pass string }

// config is what the options describe; render turns it (with the ports and files of a
// running Server) into nats-server configuration text.
type config struct {
	name         string
	port         int
	jetstream    bool
	tls          *tlsSettings
	ws           *wsSettings
	users        []userPass
	token        string
	nkeys        []string
	operator     bool
	maxPayload   int
	extra        []string
	process      bool
	ldmDuration  time.Duration
	ldmGrace     time.Duration
	readyTimeout time.Duration
	storeDir     string
	cluster      *clusterSettings // set by RunCluster only
	routeProxies bool             // RunCluster: routes through proxies (WithRouteProxies)
}

type tlsSettings struct {
	verify         bool
	handshakeFirst bool
	timeout        time.Duration
}

type wsSettings struct {
	tls         bool
	compression bool
	port        int
}

type clusterSettings struct {
	name      string
	port      int
	routes    []int
	advertise string // route address gossiped to peers; "" for the listen address
}

func newConfig(opts []Option) *config {
	c := &config{
		ldmDuration:  DefaultLameDuckDuration,
		ldmGrace:     DefaultLameDuckGracePeriod,
		readyTimeout: DefaultReadyTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// clone copies c deeply enough that applying options to the copy leaves c unchanged.
func (c *config) clone() *config {
	d := *c
	if c.tls != nil {
		t := *c.tls
		d.tls = &t
	}
	if c.ws != nil {
		w := *c.ws
		d.ws = &w
	}
	if c.cluster != nil {
		cl := *c.cluster
		cl.routes = append([]int(nil), c.cluster.routes...)
		d.cluster = &cl
	}
	d.users = append([]userPass(nil), c.users...)
	d.nkeys = append([]string(nil), c.nkeys...)
	d.extra = append([]string(nil), c.extra...)
	return &d
}

func (c *config) validate() error {
	if c.token != "" && (len(c.users) > 0 || len(c.nkeys) > 0) {
		return fmt.Errorf("harness: WithToken cannot be combined with WithUser or WithNKeyUser (nats-server allows one or the other)")
	}
	if c.operator && (c.token != "" || len(c.users) > 0 || len(c.nkeys) > 0) {
		return fmt.Errorf("harness: WithOperator cannot be combined with WithUser, WithToken or WithNKeyUser")
	}
	if c.ldmDuration < 30*time.Second {
		return fmt.Errorf("harness: lame-duck duration %v is below nats-server's minimum of 30s", c.ldmDuration)
	}
	if c.ldmGrace < 0 || c.ldmGrace >= c.ldmDuration {
		return fmt.Errorf("harness: lame-duck grace period %v must be at least 0 and below the duration %v", c.ldmGrace, c.ldmDuration)
	}
	if c.port < 0 || c.port > 65535 {
		return fmt.Errorf("harness: invalid port %d", c.port)
	}
	if c.maxPayload < 0 {
		return fmt.Errorf("harness: invalid max payload %d", c.maxPayload)
	}
	return nil
}

// WithJetStream enables JetStream with its store in the server's temporary directory
// (t.TempDir() for RunServer), kept across Restart. Default: JetStream off.
func WithJetStream() Option { return func(c *config) { c.jetstream = true } }

// WithStoreDir puts the JetStream store in dir, which the harness neither creates
// empty nor removes: data written there outlives the server. Default: the directory
// "jetstream" in the server's temporary directory. In a cluster every node would share
// dir, so RunCluster rejects it.
func WithStoreDir(dir string) Option { return func(c *config) { c.storeDir = dir } }

// WithTLS makes the client listener require TLS, with a CA, a server certificate (SANs
// 127.0.0.1, ::1 and localhost) and a client certificate generated for the server (shared
// by the nodes of a cluster) and exposed by Server.TLS. By default the server upgrades
// to TLS after its plaintext INFO (tls_required), does not ask for client certificates,
// and times the handshake out after DefaultTLSTimeout. Default: no TLS.
func WithTLS(opts ...TLSOption) Option {
	return func(c *config) {
		if c.tls == nil {
			c.tls = &tlsSettings{timeout: DefaultTLSTimeout}
		}
		for _, o := range opts {
			o(c.tls)
		}
	}
}

// TLSVerifyClients makes the server require and verify a client certificate signed by
// the generated CA (TLSMaterial.ClientCert). Default: client certificates not requested.
func TLSVerifyClients() TLSOption { return func(t *tlsSettings) { t.verify = true } }

// TLSHandshakeFirst makes the server start the TLS handshake before sending INFO, so a
// client must handshake as soon as it connects. Default: INFO first, then the upgrade.
func TLSHandshakeFirst() TLSOption { return func(t *tlsSettings) { t.handshakeFirst = true } }

// TLSTimeout sets the server's TLS handshake timeout. Default: DefaultTLSTimeout.
func TLSTimeout(d time.Duration) TLSOption { return func(t *tlsSettings) { t.timeout = d } }

// WithWebSocket adds a WebSocket listener on a free loopback port (Server.WebSocketURL).
// Default: plain ws:// (no_tls) without compression. Default without this option: no
// WebSocket listener.
func WithWebSocket(opts ...WSOption) Option {
	return func(c *config) {
		if c.ws == nil {
			c.ws = &wsSettings{}
		}
		for _, o := range opts {
			o(c.ws)
		}
	}
}

// WSTLS makes the WebSocket listener serve wss:// with the generated certificates (the
// same TLSMaterial as WithTLS). Default: plain ws://.
func WSTLS() WSOption { return func(w *wsSettings) { w.tls = true } }

// WSCompression lets the server negotiate permessage-deflate with clients that ask for
// it. Default: compression off.
func WSCompression() WSOption { return func(w *wsSettings) { w.compression = true } }

// WSPort fixes the WebSocket port. Default: a free port chosen by the harness.
func WSPort(p int) WSOption { return func(w *wsSettings) { w.port = p } }

// WithUser adds a user with a password; it may be given several times. Default: no
// authentication.
func WithUser(user, password string) Option {
	return func(c *config) { c.users = append(c.users, userPass{user, password}) }
}

// WithToken makes the server require the token. Default: no authentication.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithNKeyUser adds a user known by its NKey public key (a string starting with "U");
// the client proves it owns the key by signing the server's nonce. It may be given
// several times and combined with WithUser. Default: no authentication.
func WithNKeyUser(publicKey string) Option {
	return func(c *config) { c.nkeys = append(c.nkeys, publicKey) }
}

// WithOperator runs the server in operator (decentralized JWT) mode: the harness
// generates an operator, a system account, an account with JetStream enabled and a user,
// preloads the accounts into a MEMORY resolver, and writes the user's .creds file
// (Server.CredsFile). Server.Operator mints more users and revokes them. Default: off.
func WithOperator() Option { return func(c *config) { c.operator = true } }

// WithMaxPayload sets the largest message payload the server accepts (max_payload).
// Default: nats-server's default, 1 MiB.
func WithMaxPayload(n int) Option { return func(c *config) { c.maxPayload = n } }

// WithPort fixes the client port. Default: a free loopback port chosen by the harness.
func WithPort(p int) Option { return func(c *config) { c.port = p } }

// WithConfig appends text to the generated nats-server configuration. Top-level keys
// given here override the generated ones (the last definition wins), so it can change
// or add anything the other options do not cover. Default: nothing appended.
func WithConfig(text string) Option { return func(c *config) { c.extra = append(c.extra, text) } }

// WithName sets the server name (server_name). In a cluster it is a prefix: nodes are
// named "<name>-1", "<name>-2", .... Default: "starling" for a single server,
// "starling-<n>" in a cluster.
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithProcess runs the server as a separate nats-server process built from the module
// version this program was built with (see BinaryPath), enabling Server.Kill,
// Server.Freeze and Server.Thaw. Default: in-process.
func WithProcess() Option { return func(c *config) { c.process = true } }

// WithLameDuck sets how long lame-duck mode lasts and how long the server waits after
// announcing it before closing clients. Defaults: DefaultLameDuckDuration (nats-server's
// minimum) and DefaultLameDuckGracePeriod.
func WithLameDuck(duration, gracePeriod time.Duration) Option {
	return func(c *config) { c.ldmDuration, c.ldmGrace = duration, gracePeriod }
}

// WithReadyTimeout bounds how long a start or restart may take before it counts as
// failed. Default: DefaultReadyTimeout.
func WithReadyTimeout(d time.Duration) Option { return func(c *config) { c.readyTimeout = d } }
