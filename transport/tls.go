package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultTLSMinVersion is the lowest TLS version a TLSSettings config accepts, unless
// a config given with WithTLSConfig sets its own MinVersion.
const DefaultTLSMinVersion = tls.VersionTLS12

// TLSOption configures NewTLSSettings.
type TLSOption func(*tlsBuild)

type tlsBuild struct {
	base           *tls.Config
	pool           *x509.CertPool
	caFiles        []string
	caPEM          [][]byte
	certs          []tls.Certificate
	certFiles      [][2]string
	certPEM        [][2][]byte
	certFunc       func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	serverName     string
	handshakeFirst bool
}

// WithTLSConfig starts from a copy of cfg instead of an empty config: everything it sets
// is kept (cipher suites, curves, MinVersion, InsecureSkipVerify, VerifyConnection…),
// and the other options are applied on top. It is the only way to turn verification
// off: this package never sets InsecureSkipVerify itself. Default: an empty config
// with MinVersion DefaultTLSMinVersion.
func WithTLSConfig(cfg *tls.Config) TLSOption {
	return func(b *tlsBuild) { b.base = cfg }
}

// WithRootCAs trusts the certificates in pool (merged with any CA files or PEM given).
// Default: the system roots.
func WithRootCAs(pool *x509.CertPool) TLSOption {
	return func(b *tlsBuild) { b.pool = pool }
}

// WithRootCAFiles trusts the PEM certificates in the files (read by NewTLSSettings; a
// file without a certificate is an error). Default: the system roots.
func WithRootCAFiles(paths ...string) TLSOption {
	return func(b *tlsBuild) { b.caFiles = append(b.caFiles, paths...) }
}

// WithRootCAPEM trusts the PEM certificates in pem. Default: the system roots.
func WithRootCAPEM(pem []byte) TLSOption {
	return func(b *tlsBuild) { b.caPEM = append(b.caPEM, pem) }
}

// WithClientCertFiles presents the certificate and key in the PEM files (read by
// NewTLSSettings) when the server asks for one. Default: no client certificate.
func WithClientCertFiles(certFile, keyFile string) TLSOption {
	return func(b *tlsBuild) { b.certFiles = append(b.certFiles, [2]string{certFile, keyFile}) }
}

// WithClientCertPEM presents the PEM certificate and key. Default: no client
// certificate.
func WithClientCertPEM(certPEM, keyPEM []byte) TLSOption {
	return func(b *tlsBuild) { b.certPEM = append(b.certPEM, [2][]byte{certPEM, keyPEM}) }
}

// WithClientCert presents cert. Default: no client certificate.
func WithClientCert(cert tls.Certificate) TLSOption {
	return func(b *tlsBuild) { b.certs = append(b.certs, cert) }
}

// WithClientCertFunc asks fn for the client certificate at each handshake, so a
// rotated certificate is picked up without rebuilding anything; it replaces the
// certificates of the other options. Default: no callback.
func WithClientCertFunc(fn func(*tls.CertificateRequestInfo) (*tls.Certificate, error)) TLSOption {
	return func(b *tlsBuild) { b.certFunc = fn }
}

// WithServerName verifies every server against name instead of the address's
// TLSServerName. Default: the address's TLSServerName.
func WithServerName(name string) TLSOption {
	return func(b *tlsBuild) { b.serverName = name }
}

// WithHandshakeFirst makes the dialer run the TLS handshake as soon as the TCP
// connection is up, before the server sends INFO (nats-server 2.10.4+ with
// tls { handshake_first: true }). Default: off, TLS starts after the plaintext INFO.
func WithHandshakeFirst() TLSOption {
	return func(b *tlsBuild) { b.handshakeFirst = true }
}

// TLSSettings holds a client TLS configuration, built once (files read, certificates
// parsed) and handed out per connection by Config. It is safe for concurrent use and
// immutable.
type TLSSettings struct {
	base           *tls.Config
	serverName     string
	handshakeFirst bool
}

// NewTLSSettings builds TLS settings from the options. It reads and parses the files
// and PEM blocks now, so a missing file or a bad certificate is reported here, once.
// With no options the result verifies servers against the system roots.
func NewTLSSettings(opts ...TLSOption) (*TLSSettings, error) {
	var b tlsBuild
	for _, o := range opts {
		o(&b)
	}
	cfg := &tls.Config{}
	if b.base != nil {
		cfg = b.base.Clone()
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = DefaultTLSMinVersion
	}
	if b.pool != nil || len(b.caFiles) > 0 || len(b.caPEM) > 0 {
		pool := x509.NewCertPool()
		if b.pool != nil {
			pool = b.pool.Clone()
		}
		for _, path := range b.caFiles {
			pem, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("transport: tls root CA file: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("transport: tls root CA file %q holds no PEM certificate", path)
			}
		}
		for _, pem := range b.caPEM {
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("transport: tls root CA PEM holds no certificate")
			}
		}
		cfg.RootCAs = pool
	}
	for _, f := range b.certFiles {
		cert, err := tls.LoadX509KeyPair(f[0], f[1])
		if err != nil {
			return nil, fmt.Errorf("transport: tls client certificate files: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	for _, p := range b.certPEM {
		cert, err := tls.X509KeyPair(p[0], p[1])
		if err != nil {
			return nil, fmt.Errorf("transport: tls client certificate PEM: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	cfg.Certificates = append(cfg.Certificates, b.certs...)
	if b.certFunc != nil {
		cfg.GetClientCertificate = b.certFunc
	}
	return &TLSSettings{base: cfg, serverName: b.serverName, handshakeFirst: b.handshakeFirst}, nil
}

// Config returns a new tls.Config for a connection to a server known as serverName
// (normally Addr.TLSServerName, which keeps the configured host for IP addresses
// learned later). WithServerName, or a ServerName in the WithTLSConfig config, wins
// over serverName. A nil *TLSSettings gives the defaults.
func (s *TLSSettings) Config(serverName string) *tls.Config {
	if s == nil {
		return &tls.Config{MinVersion: DefaultTLSMinVersion, ServerName: serverName}
	}
	cfg := s.base.Clone()
	switch {
	case s.serverName != "":
		cfg.ServerName = s.serverName
	case cfg.ServerName == "":
		cfg.ServerName = serverName
	}
	return cfg
}

// HandshakeFirst reports whether WithHandshakeFirst was given.
func (s *TLSSettings) HandshakeFirst() bool { return s != nil && s.handshakeFirst }

// UpgradeTLS runs a client TLS handshake over c (typically after the server's
// plaintext INFO asked for TLS, see DecideTLS) and returns the TLS connection, which
// owns c from then on. The context bounds the handshake: when it is cancelled or its
// deadline passes, c is closed and the context's error is returned. The context's
// deadline is set on c for the handshake and cleared afterwards. A failed handshake
// is a *TLSError naming the failure; c is not closed then, the caller closes it.
//
// Under TLS 1.3 a server that refuses the client's certificate says so only after the
// client finished its handshake: that error comes from the first Read, and
// TLSErrorFrom names it.
func UpgradeTLS(ctx context.Context, c Conn, cfg *tls.Config) (Conn, error) {
	if cfg == nil {
		return nil, errors.New("transport: UpgradeTLS needs a tls.Config (see TLSSettings.Config)")
	}
	tc := tls.Client(c, cfg)
	if dl, ok := ctx.Deadline(); ok {
		// HandshakeContext closes c on cancellation; a deadline also bounds a server
		// that accepts the bytes and never answers, without a timer goroutine.
		_ = c.SetDeadline(dl)
		defer func() { _ = c.SetDeadline(time.Time{}) }()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		if ctxErr := contextCause(ctx, err); ctxErr != nil {
			return nil, fmt.Errorf("transport: tls handshake: %w", ctxErr)
		}
		return nil, newTLSError(cfg.ServerName, err)
	}
	return tc, nil
}

// TLSErrorFrom returns err as a *TLSError: err's own if it wraps one, a new one naming
// the failure if err carries a certificate error or an alert from the server (such as
// the refusal of a client certificate that TLS 1.3 delivers on the first Read after
// the handshake), and nil for any other error.
func TLSErrorFrom(err error, serverName string) *TLSError {
	var te *TLSError
	if errors.As(err, &te) {
		return te
	}
	if err == nil {
		return nil
	}
	if f := classifyTLS(err); f != TLSHandshakeFailed {
		return &TLSError{Failure: f, ServerName: serverName, Err: err}
	}
	return nil
}

// TLSFacts is what DecideTLS decides from: what the client wants, what the
// connection already is, and what the server's INFO says.
type TLSFacts struct {
	// Secured: the connection already runs TLS (handshake-first, wss). See
	// TLSConnectionState.
	Secured bool
	// WebSocket: the connection is a WebSocket (Addr.IsWebSocket), never upgraded in
	// the NATS protocol.
	WebSocket bool
	// AddrWantsTLS: the address is tls:// or wss:// (Addr.WantsTLS).
	AddrWantsTLS bool
	// OptionsWantTLS: the client was configured with TLS settings.
	OptionsWantTLS bool
	// ServerRequires and ServerAvailable are INFO's tls_required and tls_available.
	ServerRequires, ServerAvailable bool
}

// DecideTLS tells the caller, after the server's first INFO, whether to run UpgradeTLS
// on the connection. It never lets a client that wants TLS continue in plaintext: when
// the client wants TLS and the server does not offer it, the error is a *TLSError
// matching ErrTLSUnavailable; when the server requires TLS on a plain ws:// connection,
// one matching ErrTLSRequired.
//
//   - Secured connections are never upgraded again.
//   - WebSocket connections are never upgraded (wss carries TLS below the WebSocket).
//   - Otherwise: upgrade if the server requires TLS, or if the client wants it and the
//     server has it available.
func DecideTLS(f TLSFacts) (upgrade bool, err error) {
	wants := f.AddrWantsTLS || f.OptionsWantTLS
	switch {
	case f.Secured:
		return false, nil
	case f.WebSocket && wants:
		return false, &TLSError{Failure: TLSNotOffered, Err: ErrTLSUnavailable}
	case f.WebSocket && f.ServerRequires:
		return false, &TLSError{Failure: TLSCannotUpgrade, Err: ErrTLSRequired}
	case f.WebSocket:
		return false, nil
	case f.ServerRequires:
		return true, nil
	case wants && f.ServerAvailable:
		return true, nil
	case wants:
		return false, &TLSError{Failure: TLSNotOffered, Err: ErrTLSUnavailable}
	}
	return false, nil
}

// contextCause returns the context's error if ctx ended, or if err is the timeout of
// the deadline taken from ctx (which can fire a moment before ctx reports it).
func contextCause(ctx context.Context, err error) error {
	if e := ctx.Err(); e != nil {
		return e
	}
	if dl, ok := ctx.Deadline(); ok && isTimeout(err) && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
