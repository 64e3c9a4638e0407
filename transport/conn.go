package transport

import (
	"crypto/tls"
	"net"
)

// Conn is a byte stream to a server: a net.Conn, so any connection a user already has
// (or wraps) plugs in. Deadlines follow net.Conn: a passed deadline makes Read and Write
// return an error matching os.ErrDeadlineExceeded, and the connection stays usable
// once the deadline is moved.
type Conn = net.Conn

// wrapper is implemented by connections that run over another one: *tls.Conn, the
// WebSocket connection, FaultConn.
type wrapper interface{ NetConn() net.Conn }

// TLSConnectionState returns the TLS state of c, looking through the connections of
// this package (a WebSocket over TLS, a FaultConn around a TLS connection). ok is false
// when no TLS runs under c, which is how a caller tells that a connection from Dial is
// already secured (handshake-first, wss) and must not be upgraded again.
func TLSConnectionState(c Conn) (state tls.ConnectionState, ok bool) {
	for range 16 { // bounded: a wrapper chain is short, and must not loop
		switch t := c.(type) {
		case *tls.Conn:
			return t.ConnectionState(), true
		case wrapper:
			c = t.NetConn()
		default:
			return tls.ConnectionState{}, false
		}
	}
	return tls.ConnectionState{}, false
}

// WebSocketState is what a WebSocket connection agreed with the server in its opening
// handshake.
type WebSocketState struct {
	// Compressed: permessage-deflate was offered and the server accepted it.
	Compressed bool
	// Masked: client frames are masked. They are unless WebSocketNoMasking was asked
	// for and the server agreed (Nats-No-Masking).
	Masked bool
}

// WebSocketConnectionState returns the WebSocket state of c, looking through FaultConn
// wrappers; ok is false when c is not a WebSocket connection from this package.
func WebSocketConnectionState(c Conn) (state WebSocketState, ok bool) {
	for range 16 { // bounded: a wrapper chain is short, and must not loop
		switch t := c.(type) {
		case *wsConn:
			return WebSocketState{Compressed: t.compress, Masked: t.mask}, true
		case *FaultConn:
			c = t.NetConn()
		default:
			return WebSocketState{}, false
		}
	}
	return WebSocketState{}, false
}
