package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Dialer opens connections to servers. Implement it to reach servers in ways this
// package does not (a SOCKS proxy, an in-process listener); wrap one in a FaultDialer to
// inject faults. Dial must honour the context's cancellation and deadline.
//
// For nats:// and tls:// the returned connection is plaintext unless the dialer ran a
// handshake-first TLS handshake: the caller reads INFO and calls DecideTLS and
// UpgradeTLS. For ws:// and wss:// it is a WebSocket connection whose Read and Write
// carry the NATS byte stream.
type Dialer interface {
	Dial(ctx context.Context, addr Addr) (Conn, error)
}

// DialFunc adapts a function to the Dialer interface.
type DialFunc func(ctx context.Context, addr Addr) (Conn, error)

// Dial calls f.
func (f DialFunc) Dial(ctx context.Context, addr Addr) (Conn, error) { return f(ctx, addr) }

// Defaults of the dialer options, each named by the option that changes it.
const (
	// DefaultNoDelay: TCP_NODELAY on, since NATS clients batch their own writes and a
	// PING must not wait for Nagle's algorithm.
	DefaultNoDelay = true
	// DefaultKeepAlive is the idle time before the first TCP keep-alive probe and the
	// interval between probes; a dead peer is noticed by the OS even on an idle
	// connection that the protocol's own PINGs have not yet checked.
	DefaultKeepAlive = 15 * time.Second
	// DefaultMultipathTCP: Multipath TCP off.
	DefaultMultipathTCP = false
)

// DialOption configures NewDialer.
type DialOption func(*NetDialer)

// WithNoDelay sets TCP_NODELAY on each TCP connection. Default: DefaultNoDelay.
func WithNoDelay(on bool) DialOption { return func(d *NetDialer) { d.noDelay = on } }

// WithKeepAlive sets the TCP keep-alive idle time and probe interval; a negative
// duration turns keep-alive off, zero leaves Go's own default (15s). Default:
// DefaultKeepAlive.
func WithKeepAlive(period time.Duration) DialOption {
	return func(d *NetDialer) { d.keepAlive = period }
}

// WithLocalAddr binds each connection to a local address before connecting (port 0
// for any port). Default: chosen by the OS.
func WithLocalAddr(local netip.AddrPort) DialOption {
	return func(d *NetDialer) { d.local = local }
}

// WithMultipathTCP asks for Multipath TCP; the OS falls back to TCP when MPTCP is not
// available there or on the server. Default: DefaultMultipathTCP.
func WithMultipathTCP(on bool) DialOption { return func(d *NetDialer) { d.mptcp = on } }

// WithTLS sets the TLS used for wss:// and, with WithHandshakeFirst, for handshake-first
// nats:// and tls:// connections. Default: NewTLSSettings() with no options (system
// roots, no client certificate).
func WithTLS(s *TLSSettings) DialOption { return func(d *NetDialer) { d.tls = s } }

// WithWebSocket configures ws:// and wss:// connections. Default: see the WebSocket
// options.
func WithWebSocket(opts ...WebSocketOption) DialOption {
	return func(d *NetDialer) {
		for _, o := range opts {
			o(&d.ws)
		}
	}
}

// NetDialer is the Dialer for every scheme of this package: TCP, TLS (handshake-first
// here; the upgrade after INFO is UpgradeTLS) and WebSocket over TCP or TLS. Make one
// with NewDialer; it is safe for concurrent use.
type NetDialer struct {
	noDelay   bool
	keepAlive time.Duration
	local     netip.AddrPort
	mptcp     bool
	tls       *TLSSettings
	ws        webSocketConfig
}

// NewDialer returns a NetDialer with the options applied over the defaults.
func NewDialer(opts ...DialOption) *NetDialer {
	d := &NetDialer{
		noDelay:   DefaultNoDelay,
		keepAlive: DefaultKeepAlive,
		mptcp:     DefaultMultipathTCP,
		ws:        defaultWebSocketConfig(),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// TLS returns the dialer's TLS settings (nil when WithTLS was not given, which
// TLSSettings.Config treats as the defaults).
func (d *NetDialer) TLS() *TLSSettings { return d.tls }

// Dial connects to addr. Errors name the address without its credentials and wrap
// the cause: a *net.OpError from the TCP dial, a *TLSError, a *HandshakeError, or the
// context's error.
func (d *NetDialer) Dial(ctx context.Context, addr Addr) (Conn, error) {
	switch addr.Scheme {
	case SchemeNATS, SchemeTLS, SchemeWS, SchemeWSS:
	default:
		return nil, &AddrError{Input: addr.String(), Reason: fmt.Sprintf("unsupported scheme %q", addr.Scheme), Err: ErrUnsupportedScheme}
	}
	c, err := d.dialTCP(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	conn, err := d.secure(ctx, c, addr)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	return conn, nil
}

func (d *NetDialer) dialTCP(ctx context.Context, addr Addr) (net.Conn, error) {
	nd := net.Dialer{}
	if d.keepAlive < 0 {
		nd.KeepAlive = -1
	} else {
		nd.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: d.keepAlive, Interval: d.keepAlive, Count: -1}
	}
	if d.local.IsValid() {
		nd.LocalAddr = net.TCPAddrFromAddrPort(d.local)
	}
	nd.SetMultipathTCP(d.mptcp)
	c, err := nd.DialContext(ctx, "tcp", addr.HostPort())
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetNoDelay(d.noDelay); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// secure runs the TLS and WebSocket handshakes the scheme and options call for.
func (d *NetDialer) secure(ctx context.Context, c net.Conn, addr Addr) (Conn, error) {
	var conn Conn = c
	if addr.Scheme == SchemeWSS || (!addr.IsWebSocket() && d.tls.HandshakeFirst()) {
		tc, err := UpgradeTLS(ctx, c, d.tls.Config(addr.TLSServerName()))
		if err != nil {
			return nil, err
		}
		conn = tc
	}
	if addr.IsWebSocket() {
		return dialWebSocket(ctx, conn, addr, &d.ws)
	}
	return conn, nil
}
