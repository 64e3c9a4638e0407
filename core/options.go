package core

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/starling-nats/starling/transport"
)

// Defaults. Each option's doc names its default; the values live here only.
const (
	// DefaultURL is used when Connect gets an empty URL and no WithServers.
	DefaultURL = "nats://127.0.0.1:4222"
	// DefaultConnectTimeout bounds one attempt on one server: dial, TLS,
	// INFO, CONNECT and the first PING/PONG.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultPingInterval is how often an idle connection is probed.
	DefaultPingInterval = 2 * time.Minute
	// DefaultMaxPingsOut is how many PINGs may go unanswered before the
	// connection is declared stale.
	DefaultMaxPingsOut = 2
	// DefaultInboxPrefix prefixes request inboxes.
	DefaultInboxPrefix = "_INBOX"
	// DefaultWriteBufferSize is how many bytes may wait for the socket before
	// a publish waits for the flusher.
	DefaultWriteBufferSize = 64 * 1024
	// DefaultReconnectBufferSize bounds publishes held while disconnected.
	DefaultReconnectBufferSize = 8 * 1024 * 1024
	// DefaultMaxReconnects is how many consecutive failed attempts a server
	// may have before it leaves the pool.
	DefaultMaxReconnects = 60
	// DefaultReconnectWait is the base of the exponential reconnect backoff.
	DefaultReconnectWait = 100 * time.Millisecond
	// DefaultReconnectWaitMax caps the reconnect backoff.
	DefaultReconnectWaitMax = 5 * time.Second
	// DefaultMaxAuthFailures is how many consecutive authorization failures
	// a server may give while reconnecting before it leaves the pool.
	DefaultMaxAuthFailures = 2
	// DefaultLameDuckWindow bounds the random delay before the client leaves
	// a server that entered lame-duck mode. nats-server's default grace
	// period is 10 s, so moving within 5 s leaves it time to spare.
	DefaultLameDuckWindow = 5 * time.Second
	// DefaultPendingMsgs is a subscription's default limit of messages
	// waiting for its handler or Next.
	DefaultPendingMsgs = 512 * 1024
	// DefaultPendingBytes is a subscription's default limit of bytes
	// waiting for its handler or Next.
	DefaultPendingBytes = 64 * 1024 * 1024
	// DefaultMaxControlLine is nats-server's own default max_control_line:
	// the longest arguments of an op it accepts. Publish and Subscribe
	// refuse longer ones with ErrControlLineTooLong instead of letting the
	// server close the connection.
	DefaultMaxControlLine = 4096
	// DefaultRequestTimeout bounds Request calls whose context has no
	// deadline, and RequestMany's total wait.
	DefaultRequestTimeout = 10 * time.Second
)

// Option configures a Conn. Options are applied in order; a later one
// overrides an earlier one.
type Option func(*options) error

// options holds everything Connect was told. It is never mutated after
// Connect returns.
type options struct {
	servers               []string
	name                  string
	noEcho                bool
	inboxPrefix           string
	writeBuffer           int
	skipSubjectValidation bool
	maxControlLine        int
	requestTimeout        time.Duration

	timing    timingOptions
	reconnect reconnectOptions
	auth      authOptions
	tls       tlsOptions
	ws        wsOptions
	dialer    transport.Dialer
	onEvent   func(Event)
	pending   pendingLimits
}

type timingOptions struct {
	connectTimeout time.Duration
	pingInterval   time.Duration
	maxPingsOut    int
}

type reconnectOptions struct {
	allow            bool
	maxReconnects    int
	wait             time.Duration
	waitMax          time.Duration
	delay            func(attempt int) time.Duration
	retryOnFailed    bool
	bufferSize       int
	dontRandomize    bool
	ignoreDiscovered bool
	maxAuthFailures  int
	lameDuckWindow   time.Duration
}

type tlsOptions struct {
	want           bool
	handshakeFirst bool
	config         *tls.Config
	rootCAFiles    []string
	rootCAs        *x509.CertPool
	certFile       string
	keyFile        string
	getClientCert  func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
}

type wsOptions struct {
	headers     http.Header
	compression bool
	path        string
}

type pendingLimits struct {
	msgs  int
	bytes int
}

func defaultOptions() options {
	return options{
		inboxPrefix:    DefaultInboxPrefix,
		maxControlLine: DefaultMaxControlLine,
		writeBuffer:    DefaultWriteBufferSize,
		requestTimeout: DefaultRequestTimeout,
		timing: timingOptions{
			connectTimeout: DefaultConnectTimeout,
			pingInterval:   DefaultPingInterval,
			maxPingsOut:    DefaultMaxPingsOut,
		},
		reconnect: reconnectOptions{
			allow:           true,
			maxReconnects:   DefaultMaxReconnects,
			wait:            DefaultReconnectWait,
			waitMax:         DefaultReconnectWaitMax,
			bufferSize:      DefaultReconnectBufferSize,
			maxAuthFailures: DefaultMaxAuthFailures,
			lameDuckWindow:  DefaultLameDuckWindow,
		},
		pending: pendingLimits{msgs: DefaultPendingMsgs, bytes: DefaultPendingBytes},
	}
}

// WithServers adds server URLs to the pool, after those given to Connect.
// Default: none (only Connect's URL, or DefaultURL when that is empty).
func WithServers(urls ...string) Option {
	return func(o *options) error {
		for _, u := range urls {
			for _, s := range strings.Split(u, ",") {
				if s = strings.TrimSpace(s); s != "" {
					o.servers = append(o.servers, s)
				}
			}
		}
		return nil
	}
}

// WithName names the connection in the server's monitoring. Default: none.
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithConnectTimeout bounds one attempt on one server (dial, TLS, INFO,
// CONNECT, first PING/PONG). Default: DefaultConnectTimeout (5 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: connect timeout must be positive", ErrInvalidOption)
		}
		o.timing.connectTimeout = d
		return nil
	}
}

// WithPingInterval sets how often the client PINGs the server to detect a
// dead link. Default: DefaultPingInterval (2 min).
func WithPingInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: ping interval must be positive", ErrInvalidOption)
		}
		o.timing.pingInterval = d
		return nil
	}
}

// WithMaxPingsOut sets how many PINGs may be unanswered before the
// connection is stale and replaced. Default: DefaultMaxPingsOut (2).
func WithMaxPingsOut(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max pings out must be at least 1", ErrInvalidOption)
		}
		o.timing.maxPingsOut = n
		return nil
	}
}

// WithNoEcho stops the server from delivering this connection's own
// publishes to its own subscriptions. Default: echo on.
func WithNoEcho() Option {
	return func(o *options) error { o.noEcho = true; return nil }
}

// WithInboxPrefix sets the prefix of request inboxes. Default:
// DefaultInboxPrefix ("_INBOX").
func WithInboxPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" || strings.ContainsAny(prefix, "*> \t\r\n") || strings.HasSuffix(prefix, ".") {
			return fmt.Errorf("%w: inbox prefix %q", ErrInvalidOption, prefix)
		}
		o.inboxPrefix = prefix
		return nil
	}
}

// WithWriteBufferSize sets how many bytes of outgoing ops may wait for the
// socket before a publish waits for the flusher. Larger values absorb
// bursts; smaller ones bound memory. Default: DefaultWriteBufferSize (64 KiB).
func WithWriteBufferSize(n int) Option {
	return func(o *options) error {
		if n < 512 {
			return fmt.Errorf("%w: write buffer size %d below 512", ErrInvalidOption, n)
		}
		o.writeBuffer = n
		return nil
	}
}

// WithRequestTimeout bounds a Request whose context has no deadline, and the
// total wait of RequestMany. Default: DefaultRequestTimeout (10 s).
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: request timeout must be positive", ErrInvalidOption)
		}
		o.requestTimeout = d
		return nil
	}
}

// WithDialer replaces the default dialer (TCP, TLS, WebSocket by URL
// scheme). Default: transport's own dialer.
func WithDialer(d transport.Dialer) Option {
	return func(o *options) error { o.dialer = d; return nil }
}

// WithSkipSubjectValidation skips the client-side checks of subjects and
// queue names on the hot path; the server still rejects bad ones. Default:
// validate.
func WithSkipSubjectValidation() Option {
	return func(o *options) error { o.skipSubjectValidation = true; return nil }
}

// WithEventHandler receives connection events (connected, disconnected,
// reconnected, closed, lame duck, servers discovered, slow consumer, async
// error), in order, never concurrently with itself. It is the Conn's first
// listener, the only one that sees EventConnected of the first session;
// AddEventListener adds more and describes how events are delivered.
// Default: none.
func WithEventHandler(h func(Event)) Option {
	return func(o *options) error { o.onEvent = h; return nil }
}

// WithPendingLimits sets the default pending limits of new subscriptions:
// how many messages and bytes may wait for a handler or Next before new
// ones are dropped. Zero or less means no limit of that kind. Default:
// DefaultPendingMsgs and DefaultPendingBytes.
func WithPendingLimits(msgs, bytes int) Option {
	return func(o *options) error { o.pending = pendingLimits{msgs: msgs, bytes: bytes}; return nil }
}

// --- TLS ---

// WithTLS requires TLS even when the server does not demand it. Default:
// TLS only when the URL is tls:// or wss://, or the server requires it.
func WithTLS() Option {
	return func(o *options) error { o.tls.want = true; return nil }
}

// WithTLSConfig uses cfg (cloned) for TLS. Certificates and roots set by
// other options are added to the clone. Verification stays on unless cfg
// itself turns it off. Default: a config with the system roots and TLS 1.2
// minimum.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) error { o.tls.want = true; o.tls.config = cfg.Clone(); return nil }
}

// WithRootCAs trusts the CA certificates in the given PEM files. Default:
// the system roots.
func WithRootCAs(files ...string) Option {
	return func(o *options) error {
		o.tls.want = true
		o.tls.rootCAFiles = append(o.tls.rootCAFiles, files...)
		return nil
	}
}

// WithRootCAPool trusts the CAs in pool. Default: the system roots.
func WithRootCAPool(pool *x509.CertPool) Option {
	return func(o *options) error { o.tls.want = true; o.tls.rootCAs = pool; return nil }
}

// WithClientCert presents the certificate and key in the given PEM files.
// Default: no client certificate.
func WithClientCert(certFile, keyFile string) Option {
	return func(o *options) error {
		o.tls.want = true
		o.tls.certFile, o.tls.keyFile = certFile, keyFile
		return nil
	}
}

// WithClientCertFunc presents the certificate that f returns, called at
// each handshake (so rotated certificates are picked up). Default: none.
func WithClientCertFunc(f func(*tls.CertificateRequestInfo) (*tls.Certificate, error)) Option {
	return func(o *options) error { o.tls.want = true; o.tls.getClientCert = f; return nil }
}

// WithTLSHandshakeFirst starts TLS before the server's INFO (server option
// handshake_first). Default: TLS, when used, starts after the plaintext INFO.
func WithTLSHandshakeFirst() Option {
	return func(o *options) error { o.tls.want = true; o.tls.handshakeFirst = true; return nil }
}

// --- WebSocket ---

// WithWebSocketHeaders adds HTTP headers to the WebSocket handshake (for
// proxies and auth cookies). Default: none.
func WithWebSocketHeaders(h http.Header) Option {
	return func(o *options) error { o.ws.headers = h.Clone(); return nil }
}

// WithWebSocketCompression offers permessage-deflate. Default: off.
func WithWebSocketCompression() Option {
	return func(o *options) error { o.ws.compression = true; return nil }
}

// WithWebSocketPath overrides the URL's path in the WebSocket handshake,
// for servers behind a path-routing proxy. Default: the URL's path.
func WithWebSocketPath(path string) Option {
	return func(o *options) error { o.ws.path = path; return nil }
}

// --- reconnect ---

// WithNoReconnect closes the Conn when its connection is lost instead of
// reconnecting. Default: reconnect.
func WithNoReconnect() Option {
	return func(o *options) error { o.reconnect.allow = false; return nil }
}

// WithMaxReconnects sets how many consecutive failed attempts a server may
// have before it leaves the pool; negative means never. Default:
// DefaultMaxReconnects (60).
func WithMaxReconnects(n int) Option {
	return func(o *options) error { o.reconnect.maxReconnects = n; return nil }
}

// WithReconnectWait sets the base and the cap of the reconnect backoff: the
// wait before the n-th pass over the pool is a random duration in
// [0, min(max, base·2ⁿ)) (full jitter, so that clients of a restarted server
// do not return in one wave). Default: DefaultReconnectWait (100 ms) and
// DefaultReconnectWaitMax (5 s).
func WithReconnectWait(base, max time.Duration) Option {
	return func(o *options) error {
		if base <= 0 || max < base {
			return fmt.Errorf("%w: reconnect wait base %v, max %v", ErrInvalidOption, base, max)
		}
		o.reconnect.wait, o.reconnect.waitMax = base, max
		return nil
	}
}

// WithReconnectDelay replaces the backoff: f gets the number of passes over
// the pool that failed so far and returns the wait. Default: full-jitter
// exponential backoff (see WithReconnectWait).
func WithReconnectDelay(f func(attempt int) time.Duration) Option {
	return func(o *options) error { o.reconnect.delay = f; return nil }
}

// WithRetryOnFailedConnect makes Connect return at once with a Conn that
// keeps trying to reach a server in the background, as reconnect does.
// Default: Connect fails when no server can be reached.
func WithRetryOnFailedConnect() Option {
	return func(o *options) error { o.reconnect.retryOnFailed = true; return nil }
}

// WithReconnectBufferSize bounds the bytes of publishes held while
// disconnected; 0 disables the buffer, so publishes fail at once while
// disconnected. Default: DefaultReconnectBufferSize (8 MiB).
func WithReconnectBufferSize(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("%w: reconnect buffer size %d", ErrInvalidOption, n)
		}
		o.reconnect.bufferSize = n
		return nil
	}
}

// WithDontRandomize keeps the server pool in the given order. Default:
// shuffled, to spread clients over a cluster.
func WithDontRandomize() Option {
	return func(o *options) error { o.reconnect.dontRandomize = true; return nil }
}

// WithIgnoreDiscoveredServers keeps the pool to the given URLs, ignoring the
// servers a cluster announces. Default: discovered servers join the pool.
func WithIgnoreDiscoveredServers() Option {
	return func(o *options) error { o.reconnect.ignoreDiscovered = true; return nil }
}

// WithMaxAuthFailures sets how many consecutive authorization failures a
// server may give while reconnecting before it leaves the pool. Default:
// DefaultMaxAuthFailures (2).
func WithMaxAuthFailures(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max auth failures must be at least 1", ErrInvalidOption)
		}
		o.reconnect.maxAuthFailures = n
		return nil
	}
}

// WithLameDuckWindow bounds the random delay after which the client leaves
// a server that entered lame-duck mode. Default: DefaultLameDuckWindow (5 s).
func WithLameDuckWindow(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: lame duck window must be positive", ErrInvalidOption)
		}
		o.reconnect.lameDuckWindow = d
		return nil
	}
}

// WithMaxControlLine tells the client the server's max_control_line (the
// longest op arguments it accepts): Publish and Subscribe refuse subjects
// that would exceed it, and the reader accepts server ops that long.
// Default: DefaultMaxControlLine (4096, the server's default).
func WithMaxControlLine(n int) Option {
	return func(o *options) error {
		if n < 256 {
			return fmt.Errorf("%w: max control line %d below 256", ErrInvalidOption, n)
		}
		o.maxControlLine = n
		return nil
	}
}
