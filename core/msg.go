package core

import (
	"github.com/starling-nats/starling/codec"
)

// Header is an owned, case-preserving set of message headers.
type Header = codec.Header

// Msg is a message the user owns: received through Subscribe, SubscribeChan,
// Next, Messages or Request, it is never touched by the Conn again and may
// be kept, shared and modified. Built by the user, it is what PublishMsg
// sends.
//
// A received Msg is allocated once: the struct, subject, reply, header bytes
// and data share one block of memory, so keeping any part keeps all of it.
type Msg struct {
	Subject string
	Reply   string
	// Header holds the message's headers; nil when it had none.
	Header Header
	Data   []byte

	conn *Conn
	sub  *Subscription
	// rawHeader is the header block as received, kept for Status and
	// Description, which are not headers but the header block's first line.
	rawHeader []byte
	// next links the subscription's pending queue; no allocation per enqueue.
	next *Msg
	// size is what the message counts against pending byte limits.
	size int
}

// Respond publishes data to the message's reply subject.
func (m *Msg) Respond(data []byte) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	if m.conn == nil {
		return ErrNotReceived
	}
	return m.conn.publish(m.Reply, "", nil, nil, data)
}

// RespondMsg publishes r to the message's reply subject; r.Subject is
// ignored and r.Reply, if set, asks for a reply in turn.
func (m *Msg) RespondMsg(r *Msg) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	if m.conn == nil {
		return ErrNotReceived
	}
	return m.conn.publishMsg(m.Reply, r)
}

// Subscription returns the subscription that received m, or nil for a
// message built by the user or returned by Request.
func (m *Msg) Subscription() *Subscription { return m.sub }

// Status returns the status code of the header block's first line
// (NATS/1.0 503 → 503), one of the Status constants below (StatusNotFound,
// StatusConflict...), or 0 when the message carries no status. Request
// turns 503 into ErrNoResponders; other status replies come back as
// messages, with their headers, for the caller to read.
func (m *Msg) Status() int { return codec.HeaderView(m.rawHeader).Status() }

// Size returns the message's size as nats-server counts it against a pull
// request's max_bytes: the bytes of subject, reply, header block and data.
// For a received message it is the size it arrived with; for one built by
// the user, the size it would have as sent by PublishMsg.
func (m *Msg) Size() int {
	if m.size > 0 {
		return m.size // received: the bytes that came
	}
	n := len(m.Subject) + len(m.Reply) + len(m.Data)
	if len(m.Header) > 0 {
		n += headerLen(m.Header)
	}
	return n
}

// headerLen is len(h.Append(nil)) without encoding it: "NATS/1.0\r\n", a
// "Key: value\r\n" line per value, then "\r\n".
func headerLen(h Header) int {
	n := len("NATS/1.0\r\n") + len("\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

// Description returns the text after the status code ("Idle Heartbeat"),
// or "" when there is none.
func (m *Msg) Description() string { return string(codec.HeaderView(m.rawHeader).Description()) }

// BorrowedMsg is a message lent to a SubscribeBorrowed handler. Its slices
// alias the connection's read buffer and are valid only until the handler
// returns: keep nothing of it, or call Copy. Receiving one allocates
// nothing, headers included.
type BorrowedMsg struct {
	Subject []byte
	Reply   []byte
	// Header views the raw header block; empty when the message had none.
	Header codec.HeaderView
	Data   []byte

	conn *Conn
	sub  *Subscription
}

// Respond publishes data to the message's reply subject. It may be called
// only while the handler runs.
func (m *BorrowedMsg) Respond(data []byte) error {
	if len(m.Reply) == 0 {
		return ErrNoReply
	}
	return m.conn.respondBorrowed(m.Reply, nil, data)
}

// RespondMsg publishes r to the message's reply subject; r.Subject is
// ignored.
func (m *BorrowedMsg) RespondMsg(r *Msg) error {
	if len(m.Reply) == 0 {
		return ErrNoReply
	}
	if r == nil {
		return m.conn.respondBorrowed(m.Reply, nil, nil)
	}
	return m.conn.respondBorrowed(m.Reply, r, nil)
}

// Status returns the status code of the message's header block (one of the
// Status constants), 0 if none.
func (m *BorrowedMsg) Status() int { return m.Header.Status() }

// Size returns the message's size as nats-server counts it against a pull
// request's max_bytes: the bytes of subject, reply, header block and data.
func (m *BorrowedMsg) Size() int {
	return len(m.Subject) + len(m.Reply) + len(m.Header) + len(m.Data)
}

// Description returns the status description; it aliases the read buffer.
func (m *BorrowedMsg) Description() []byte { return m.Header.Description() }

// Subscription returns the subscription that received m.
func (m *BorrowedMsg) Subscription() *Subscription { return m.sub }

// Copy returns an owned copy of m, in one allocation (plus the header map
// when there are headers).
func (m *BorrowedMsg) Copy() *Msg {
	return newOwnedMsg(m.conn, m.sub, m.Subject, m.Reply, []byte(m.Header), m.Data)
}

// Status codes a message's header block may carry, as Msg.Status and
// BorrowedMsg.Status return them; the same values as codec's, so that a
// program compares them without importing codec.
const (
	// StatusControlMsg marks JetStream control messages: idle heartbeats
	// ("100 Idle Heartbeat") and flow-control requests ("100 FlowControl
	// Request", with a reply subject to answer).
	StatusControlMsg = codec.StatusControlMsg
	// StatusIdleHeartbeat is StatusControlMsg under the name of its most
	// common use; Description or the reply subject tells the two apart.
	StatusIdleHeartbeat = codec.StatusIdleHeartbeat
	// StatusNoContent ("204 EOB") ends a batched or multi direct get.
	StatusNoContent = codec.StatusNoContent
	// StatusBadRequest rejects a pull request.
	StatusBadRequest = codec.StatusBadRequest
	// StatusNotFound: no messages for a no-wait pull, or none found by a
	// direct get.
	StatusNotFound = codec.StatusNotFound
	// StatusRequestTimeout: a pull request expired or was ended.
	StatusRequestTimeout = codec.StatusRequestTimeout
	// StatusConflict: a pull ended early (consumer deleted, leadership
	// change, a message over max_bytes...).
	StatusConflict = codec.StatusConflict
	// StatusPreconditionFailed: the server requires a newer API level.
	StatusPreconditionFailed = codec.StatusPreconditionFailed
	// StatusTooManyResults: a multi-last direct get matched too many
	// subjects.
	StatusTooManyResults = codec.StatusTooManyResults
	// StatusLocked: a priority group's pin does not match.
	StatusLocked = codec.StatusLocked
	// StatusNoResponders: a request found no subscriber; Request and
	// RequestMany report it as ErrNoResponders.
	StatusNoResponders = codec.StatusNoResponders
)
