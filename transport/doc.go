// Package transport moves bytes between a NATS client and a server. It knows
// connections, not NATS operations: the layer above reads INFO and writes CONNECT.
//
// # Addresses
//
// ParseAddr turns "nats://", "tls://", "ws://", "wss://" URLs and bare "host[:port]"
// into an Addr, with default ports, IPv6 literals and the userinfo (user and password,
// or token) returned to the caller. An Addr never prints its credentials.
//
// # Dialing
//
// A Dialer opens a Conn (a net.Conn) for an Addr within a context. NewDialer returns
// the NetDialer for every scheme: TCP (TCP_NODELAY, keep-alive, local address,
// Multipath TCP), TLS handshake-first, and WebSocket (RFC 6455: masked binary frames,
// ping/pong/close, fragmentation, optional permessage-deflate) over TCP or TLS. Users
// plug in their own Dialer for anything else.
//
// # TLS
//
// NewTLSSettings builds a client TLS configuration once (root CAs from files, PEM or a
// pool; client certificates from files, PEM or a callback; TLS 1.2 at least; verification
// always on unless the caller's own tls.Config turns it off). Its Config method
// returns a tls.Config for a server name, which an Addr keeps (Addr.ServerName) for IP
// addresses learned from the server.
//
// The life of a TLS connection that starts in plaintext:
//
//	c, _ := dialer.Dial(ctx, addr)             // TCP
//	// read INFO from c (the caller's job)
//	up, err := transport.DecideTLS(facts)      // never a plaintext fallback
//	if up { c, err = transport.UpgradeTLS(ctx, c, settings.Config(addr.TLSServerName())) }
//
// With WithHandshakeFirst the dialer runs the handshake before INFO instead, and
// TLSConnectionState tells the caller the connection is already secured.
//
// Failures are *TLSError values naming the cause (unknown authority, host name
// mismatch, expired certificate, rejected by the server, server without TLS), with the
// crypto/x509 and crypto/tls errors reachable through errors.As. TLSErrorFrom names a
// failure that surfaces later, on a Read (TLS 1.3 reports a refused client certificate
// that way).
//
// # WebSocket
//
// A ws:// or wss:// connection's Read returns the NATS byte stream carried by the
// server's frames, whatever their boundaries, and each Write goes out as one masked
// binary frame. docs/websocket.md says why this package frames WebSocket itself rather
// than wrapping a WebSocket library.
//
// # Testing
//
// NewPipe returns a buffered in-memory connection pair. NewFaulty wraps any Conn in a
// FaultConn that cuts, blackholes, delays, throttles, corrupts or splits traffic on
// command, reproducibly from a seed; a FaultDialer hands a test every FaultConn it
// dials. Neither keeps goroutines of its own.
package transport
