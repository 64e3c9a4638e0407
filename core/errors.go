package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Each says in its text whether the connection survives it;
// match them with errors.Is.
var (
	// ErrConnectionClosed: the Conn was closed (by Close, Drain or a fatal error)
	// and can no longer be used.
	ErrConnectionClosed = errors.New("core: connection closed")
	// ErrConnectionDraining: the Conn is draining; no new subscriptions or
	// publishes are accepted.
	ErrConnectionDraining = errors.New("core: connection draining")
	// ErrBadSubject: the subject is not valid for the operation (publish
	// subjects must be literal; subscribe subjects may hold wildcards).
	ErrBadSubject = errors.New("core: invalid subject")
	// ErrBadQueueName: the queue group name is not a valid token.
	ErrBadQueueName = errors.New("core: invalid queue group name")
	// ErrBadHeader: a header key or value holds bytes the protocol forbids.
	ErrBadHeader = errors.New("core: invalid header")
	// ErrMaxPayload: the message (header + data) is larger than the server's
	// max_payload. Nothing was sent; the connection is fine.
	ErrMaxPayload = errors.New("core: message larger than the server's max_payload")
	// ErrControlLineTooLong: the subject, reply or queue make the op longer
	// than the server's max_control_line (WithMaxControlLine). Nothing was
	// sent; the connection is fine.
	ErrControlLineTooLong = errors.New("core: op longer than the server's max_control_line")
	// ErrHeadersNotSupported: the server does not accept headers.
	ErrHeadersNotSupported = errors.New("core: server does not support headers")
	// ErrReconnectBufferExceeded: the connection is down and the publish does
	// not fit in the reconnect buffer (or the buffer is disabled). It was not
	// sent.
	ErrReconnectBufferExceeded = errors.New("core: reconnect buffer exceeded")
	// ErrNoResponders: a request reached no subscriber (server status 503).
	ErrNoResponders = errors.New("core: no responders")
	// ErrTimeout: an operation's time ran out. Context deadlines are
	// reported as context.DeadlineExceeded; this is for internal timers such
	// as the connect timeout and RequestMany's stall timer.
	ErrTimeout = errors.New("core: timeout")
	// ErrNoServers: no server in the pool could be reached.
	ErrNoServers = errors.New("core: no servers available")
	// ErrStaleConnection: pings went unanswered or the server reported the
	// connection stale; the session is replaced through reconnect.
	ErrStaleConnection = errors.New("core: stale connection")
	// ErrAuthorization: the server refused the credentials.
	ErrAuthorization = errors.New("core: authorization violation")
	// ErrAuthExpired: the server reports expired user or account credentials.
	ErrAuthExpired = errors.New("core: authentication expired")
	// ErrPermissionViolation: a publish or subscription was refused by the
	// server's permissions. The connection stays open.
	ErrPermissionViolation = errors.New("core: permissions violation")
	// ErrSlowConsumer: a subscription dropped messages because its pending
	// limits were exceeded.
	ErrSlowConsumer = errors.New("core: slow consumer, messages dropped")
	// ErrBadSubscription: the subscription is closed or was never valid.
	ErrBadSubscription = errors.New("core: invalid subscription")
	// ErrSubscriptionClosed: Next or Messages found the subscription closed.
	ErrSubscriptionClosed = errors.New("core: subscription closed")
	// ErrWrongSubscriptionKind: the call does not fit how the subscription
	// receives (e.g. Next on a handler subscription).
	ErrWrongSubscriptionKind = errors.New("core: wrong call for this subscription kind")
	// ErrEventsDropped: the event handler fell more than a thousand events
	// behind and async errors were dropped; the error says how many.
	ErrEventsDropped = errors.New("core: events dropped, the event handler is too slow")
	// ErrNotReceived: Respond was called on a message built by the user,
	// which has no connection to answer through.
	ErrNotReceived = errors.New("core: message was not received through a connection")
	// ErrNoReply: Respond was called on a message without a reply subject.
	ErrNoReply = errors.New("core: message has no reply subject")
	// ErrTLSRequired: the server requires TLS, or the URL asked for it and the
	// server has none.
	ErrTLSRequired = errors.New("core: tls required")
	// ErrInvalidOption: an option carries a value that cannot work.
	ErrInvalidOption = errors.New("core: invalid option")
	// ErrNoEchoNotSupported: NoEcho was asked for but the server is too old.
	ErrNoEchoNotSupported = errors.New("core: server does not support no-echo")
	// ErrInvalidCredentials: a .creds file, seed or JWT could not be read.
	ErrInvalidCredentials = errors.New("core: invalid credentials")
	// ErrInvalidServerInfo: a server's INFO announces limits no client can
	// work with (a max_payload of zero or less); the server is refused at
	// connect.
	ErrInvalidServerInfo = errors.New("core: invalid server info")
)

// ServerErrorKind classifies a -ERR sent by the server.
type ServerErrorKind uint8

// The kinds of -ERR, from the texts nats-server sends (protocol-facts §1.7).
const (
	ServerErrOther ServerErrorKind = iota
	ServerErrAuthorization
	ServerErrAuthExpired
	ServerErrAuthTimeout
	ServerErrPermissions
	ServerErrMaxPayload
	ServerErrStaleConnection
	ServerErrMaxConnections
	ServerErrMaxSubscriptions
	ServerErrMaxControlLine
	ServerErrTLSRequired
	ServerErrUnknownProtocol
	ServerErrInvalidSubject
)

var serverErrKindNames = [...]string{
	ServerErrOther:            "other",
	ServerErrAuthorization:    "authorization",
	ServerErrAuthExpired:      "authentication expired",
	ServerErrAuthTimeout:      "authentication timeout",
	ServerErrPermissions:      "permissions",
	ServerErrMaxPayload:       "max payload",
	ServerErrStaleConnection:  "stale connection",
	ServerErrMaxConnections:   "max connections",
	ServerErrMaxSubscriptions: "max subscriptions",
	ServerErrMaxControlLine:   "max control line",
	ServerErrTLSRequired:      "tls required",
	ServerErrUnknownProtocol:  "unknown protocol",
	ServerErrInvalidSubject:   "invalid subject",
}

func (k ServerErrorKind) String() string {
	if int(k) < len(serverErrKindNames) {
		return serverErrKindNames[k]
	}
	return "unknown"
}

// ServerError is a -ERR sent by the server. Fatal reports whether the server
// closes the connection after sending it (it does for every kind but
// permissions, invalid subject and max subscriptions).
type ServerError struct {
	Kind ServerErrorKind
	// Text is the server's message without the surrounding quotes.
	Text string
	// Subject is the subject named by a permissions violation, if any.
	Subject string
	// Queue is the queue group named by a subscription permissions violation.
	Queue string
	// Publish is true when a permissions violation concerns a publish,
	// false when it concerns a subscription.
	Publish bool
}

func (e *ServerError) Error() string { return "core: server error: " + e.Text }

// Fatal reports whether the server closes the connection after this error.
func (e *ServerError) Fatal() bool {
	switch e.Kind {
	case ServerErrPermissions, ServerErrInvalidSubject, ServerErrMaxSubscriptions:
		return false
	}
	return true
}

// Is lets errors.Is match a ServerError against the matching sentinel.
func (e *ServerError) Is(target error) bool {
	switch target {
	case ErrAuthorization:
		return e.Kind == ServerErrAuthorization
	case ErrAuthExpired:
		return e.Kind == ServerErrAuthExpired
	case ErrPermissionViolation:
		return e.Kind == ServerErrPermissions
	case ErrMaxPayload:
		return e.Kind == ServerErrMaxPayload
	case ErrStaleConnection:
		return e.Kind == ServerErrStaleConnection
	case ErrTLSRequired:
		return e.Kind == ServerErrTLSRequired
	}
	return false
}

// parseServerError classifies the text of a -ERR. The server's texts are
// not stable API, so matching is by lower-cased substrings that have held
// across server versions.
func parseServerError(text string) *ServerError {
	e := &ServerError{Text: text}
	l := strings.ToLower(text)
	switch {
	case strings.HasPrefix(l, "permissions violation"):
		e.Kind = ServerErrPermissions
		e.Publish = strings.Contains(l, "for publish")
		e.Subject, e.Queue = permissionSubject(text)
	case strings.Contains(l, "authorization violation"), strings.Contains(l, "authentication revoked"):
		e.Kind = ServerErrAuthorization
	case strings.Contains(l, "authentication expired"):
		e.Kind = ServerErrAuthExpired
	case strings.Contains(l, "authentication timeout"), strings.Contains(l, "authorization timeout"):
		e.Kind = ServerErrAuthTimeout
	case strings.Contains(l, "maximum payload"):
		e.Kind = ServerErrMaxPayload
	case strings.Contains(l, "stale connection"):
		e.Kind = ServerErrStaleConnection
	case strings.Contains(l, "maximum connections"), strings.Contains(l, "maximum account active connections"):
		e.Kind = ServerErrMaxConnections
	case strings.Contains(l, "maximum subscriptions"):
		e.Kind = ServerErrMaxSubscriptions
	case strings.Contains(l, "maximum control line"):
		e.Kind = ServerErrMaxControlLine
	case strings.Contains(l, "tls required"):
		e.Kind = ServerErrTLSRequired
	case strings.Contains(l, "unknown protocol"):
		e.Kind = ServerErrUnknownProtocol
	case strings.Contains(l, "invalid subject"), strings.Contains(l, "invalid publish subject"):
		e.Kind = ServerErrInvalidSubject
	}
	return e
}

// permissionSubject extracts the quoted subject (and queue) of a permissions
// violation: `Permissions Violation for Subscription to "foo" using queue "q"`.
func permissionSubject(text string) (subject, queue string) {
	rest := text
	if i := strings.Index(rest, " to \""); i >= 0 {
		rest = rest[i+len(" to \""):]
	} else if i := strings.Index(rest, " of \""); i >= 0 {
		rest = rest[i+len(" of \""):]
	} else {
		return "", ""
	}
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return rest, ""
	}
	subject, rest = rest[:j], rest[j+1:]
	if i := strings.Index(rest, "using queue \""); i >= 0 {
		rest = rest[i+len("using queue \""):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			queue = rest[:j]
		}
	}
	return subject, queue
}

// SubscriptionError reports an asynchronous failure that concerns one
// subscription only (a permissions violation, slow consumer). The connection
// stays open.
type SubscriptionError struct {
	Subject string
	Err     error
}

func (e *SubscriptionError) Error() string {
	return fmt.Sprintf("core: subscription %q: %v", e.Subject, e.Err)
}

func (e *SubscriptionError) Unwrap() error { return e.Err }

// ConnectError wraps the reason one attempt to reach a server failed, naming
// the server (credentials redacted).
type ConnectError struct {
	Server string
	Err    error
}

func (e *ConnectError) Error() string { return "core: connect to " + e.Server + ": " + e.Err.Error() }

func (e *ConnectError) Unwrap() error { return e.Err }

// IsTemporary reports whether err ended only one attempt, so that retrying
// (a request, a connect) may succeed: timeouts (a context's deadline
// included, which is how a Request times out), no responders, a lost
// connection that reconnect will replace. A cancelled context is not
// temporary: someone chose to stop.
func IsTemporary(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrNoResponders), errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrStaleConnection), errors.Is(err, ErrReconnectBufferExceeded),
		errors.Is(err, ErrNoServers):
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		return se.Kind == ServerErrMaxConnections || se.Kind == ServerErrStaleConnection
	}
	return false
}

// StaleRule names the keep-alive rule that declared a session dead.
type StaleRule uint8

// The keep-alive rules.
const (
	// StalePingsUnanswered: WithMaxPingsOut keep-alive PINGs in a row got
	// no PONG (one is sent every WithPingInterval).
	StalePingsUnanswered StaleRule = iota + 1
	// StalePongBacklog: the server kept sending PINGs while the PONGs
	// answering them could not be written: it was not reading.
	StalePongBacklog
	// StaleServerReported: the server declared the connection stale
	// (-ERR 'Stale Connection'): our PONGs did not reach it in time.
	StaleServerReported
)

func (r StaleRule) String() string {
	switch r {
	case StalePingsUnanswered:
		return "pings unanswered"
	case StalePongBacklog:
		return "pong backlog"
	case StaleServerReported:
		return "reported by the server"
	}
	return "unknown"
}

// StaleConnectionError ended a session that the keep-alive found dead; Rule
// says which rule fired. It matches ErrStaleConnection, and the session is
// replaced through reconnect.
type StaleConnectionError struct {
	Rule StaleRule
	// Err is the server's -ERR (a *ServerError) for StaleServerReported.
	Err error
}

func (e *StaleConnectionError) Error() string {
	return "core: stale connection: " + e.Rule.String()
}

// Is makes errors.Is(err, ErrStaleConnection) hold.
func (e *StaleConnectionError) Is(target error) bool { return target == ErrStaleConnection }

func (e *StaleConnectionError) Unwrap() error { return e.Err }

// RepliesDroppedError reports replies to a RequestMany that were dropped
// because the replies waiting for the loop reached the pending limit
// (WithPendingLimits' message count). It matches ErrSlowConsumer; the
// request goes on.
type RepliesDroppedError struct {
	Dropped int
	Limit   int
}

func (e *RepliesDroppedError) Error() string {
	return fmt.Sprintf("core: %d replies dropped over the pending limit of %d", e.Dropped, e.Limit)
}

// Is makes errors.Is(err, ErrSlowConsumer) hold.
func (e *RepliesDroppedError) Is(target error) bool { return target == ErrSlowConsumer }
