package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
)

// Sentinel errors. Every error this package returns that belongs to one of these
// kinds matches it with errors.Is, whatever type carries the detail.
var (
	// ErrInvalidAddr is matched by every *AddrError.
	ErrInvalidAddr = errors.New("transport: invalid address")
	// ErrUnsupportedScheme is matched by an *AddrError whose scheme is not one of
	// nats, tls, ws or wss.
	ErrUnsupportedScheme = errors.New("transport: unsupported scheme")
	// ErrCut is returned by every Read and Write of a FaultConn after Cut.
	ErrCut = errors.New("transport: connection cut (fault injection)")
	// ErrDialRefused is a ready-made error for FaultDialer.FailDials.
	ErrDialRefused = errors.New("transport: dial refused (fault injection)")
	// ErrTLSUnavailable is matched by the *TLSError returned when the client wants
	// TLS (a tls:// or wss:// address, or TLS options) and the server does not offer
	// it. There is never a plaintext fallback.
	ErrTLSUnavailable = errors.New("transport: tls wanted but the server does not offer it")
	// ErrTLSRequired is matched by the *TLSError returned when the server requires
	// TLS on a connection that cannot be upgraded (a plain ws:// WebSocket).
	ErrTLSRequired = errors.New("transport: the server requires tls on a connection that cannot be upgraded")
	// ErrWebSocketProtocol is matched by every *WebSocketError.
	ErrWebSocketProtocol = errors.New("transport: websocket protocol violation")
	// ErrWebSocketHandshake is matched by every *HandshakeError.
	ErrWebSocketHandshake = errors.New("transport: websocket handshake failed")
)

// AddrError reports an address that ParseAddr cannot use. Input is the text given,
// with any userinfo (user, password, token) replaced by "redacted", so the error can be
// logged.
type AddrError struct {
	Input  string // redacted input
	Reason string
	Err    error // ErrInvalidAddr or ErrUnsupportedScheme
}

func (e *AddrError) Error() string {
	return "transport: invalid address " + strconv.Quote(e.Input) + ": " + e.Reason
}

// Unwrap returns the sentinel the error matches.
func (e *AddrError) Unwrap() error { return e.Err }

// Is makes every AddrError match ErrInvalidAddr, also when Err is a narrower sentinel.
func (e *AddrError) Is(target error) bool { return target == ErrInvalidAddr }

// TLSFailure names why TLS could not be established.
type TLSFailure uint8

// The TLS failures a *TLSError can name.
const (
	// TLSHandshakeFailed is any handshake failure not named below.
	TLSHandshakeFailed TLSFailure = iota
	// TLSUnknownAuthority: the server's certificate chain does not lead to a trusted
	// root (wrong or missing CA). The chain carries an x509.UnknownAuthorityError.
	TLSUnknownAuthority
	// TLSHostnameMismatch: the certificate is not valid for the name verified
	// (Addr.TLSServerName). The chain carries an x509.HostnameError.
	TLSHostnameMismatch
	// TLSCertificateExpired: the certificate is expired or not yet valid. The chain
	// carries an x509.CertificateInvalidError with Reason x509.Expired.
	TLSCertificateExpired
	// TLSCertificateInvalid: the certificate is invalid for another reason (see the
	// x509.CertificateInvalidError in the chain).
	TLSCertificateInvalid
	// TLSRejectedByServer: the server aborted the handshake with an alert, for
	// example because it requires a client certificate (TLS 1.2; under TLS 1.3 that
	// alert arrives with the first Read after the handshake). The chain carries a
	// *net.OpError with Op "remote error".
	TLSRejectedByServer
	// TLSPlaintextServer: the server answered the handshake in plaintext, typically a
	// handshake-first client facing a server that sends INFO first.
	TLSPlaintextServer
	// TLSNotOffered: the client wants TLS and the server does not offer it
	// (ErrTLSUnavailable).
	TLSNotOffered
	// TLSCannotUpgrade: the server requires TLS on a connection that cannot be
	// upgraded (ErrTLSRequired).
	TLSCannotUpgrade
)

var tlsFailureText = [...]string{
	TLSHandshakeFailed:    "handshake failed",
	TLSUnknownAuthority:   "certificate signed by unknown authority",
	TLSHostnameMismatch:   "certificate not valid for the host name",
	TLSCertificateExpired: "certificate expired or not yet valid",
	TLSCertificateInvalid: "certificate invalid",
	TLSRejectedByServer:   "rejected by the server",
	TLSPlaintextServer:    "server answered in plaintext",
	TLSNotOffered:         "server does not offer tls",
	TLSCannotUpgrade:      "server requires tls the connection cannot provide",
}

func (f TLSFailure) String() string {
	if int(f) < len(tlsFailureText) {
		return tlsFailureText[f]
	}
	return "tls failure " + strconv.Itoa(int(f))
}

// TLSError reports a TLS connection that could not be established, naming why.
// errors.As reaches the underlying crypto/tls and crypto/x509 errors through it
// (x509.UnknownAuthorityError, x509.HostnameError, x509.CertificateInvalidError,
// tls.RecordHeaderError, the *net.OpError of a server's alert).
type TLSError struct {
	Failure    TLSFailure
	ServerName string // the name verified; empty when no handshake ran
	Err        error
}

func (e *TLSError) Error() string {
	s := "transport: tls"
	if e.ServerName != "" {
		s += " with " + strconv.Quote(e.ServerName)
	}
	s += ": " + e.Failure.String()
	if e.Err != nil && e.Err != ErrTLSUnavailable && e.Err != ErrTLSRequired {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TLSError) Unwrap() error { return e.Err }

// newTLSError classifies a handshake error.
func newTLSError(serverName string, err error) *TLSError {
	return &TLSError{Failure: classifyTLS(err), ServerName: serverName, Err: err}
}

func classifyTLS(err error) TLSFailure {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		remote   *net.OpError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return TLSUnknownAuthority
	case errors.As(err, &hostname):
		return TLSHostnameMismatch
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return TLSCertificateExpired
		}
		return TLSCertificateInvalid
	case errors.As(err, &remote) && remote.Op == "remote error":
		return TLSRejectedByServer
	case errors.As(err, &record):
		return TLSPlaintextServer
	}
	return TLSHandshakeFailed
}

// WebSocketError reports a frame or message from the server that breaks RFC 6455 or
// RFC 7692. The connection is unusable afterwards. It matches ErrWebSocketProtocol.
type WebSocketError struct {
	Reason string
}

func (e *WebSocketError) Error() string { return "transport: websocket: " + e.Reason }

// Is makes a WebSocketError match ErrWebSocketProtocol.
func (e *WebSocketError) Is(target error) bool { return target == ErrWebSocketProtocol }

// HandshakeError reports a WebSocket opening handshake the server did not complete.
// It matches ErrWebSocketHandshake.
type HandshakeError struct {
	// StatusCode is the HTTP status the server answered (0 when it sent no valid
	// response).
	StatusCode int
	Reason     string
}

func (e *HandshakeError) Error() string {
	s := "transport: websocket handshake: " + e.Reason
	if e.StatusCode != 0 {
		s += " (http status " + strconv.Itoa(e.StatusCode) + ")"
	}
	return s
}

// Is makes a HandshakeError match ErrWebSocketHandshake.
func (e *HandshakeError) Is(target error) bool { return target == ErrWebSocketHandshake }

// CloseError is returned by Read on a WebSocket connection after the server sent a
// close frame with a status other than 1000 (normal closure) or none. It also matches
// io.EOF with errors.Is, since the stream ended; the code and reason say why (nats-server
// sends, for example, 1001 on shutdown and 1008 on an authentication failure).
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	s := "transport: websocket closed by the server: status " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes a CloseError match io.EOF.
func (e *CloseError) Is(target error) bool { return target == io.EOF }
