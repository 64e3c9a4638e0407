package core

import (
	"strconv"

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
// (NATS/1.0 503 → 503): 100 idle heartbeat or flow control, 404, 408, 409,
// 503 no responders and the others of codec's Status constants. 0 when the
// message carries no status.
func (m *Msg) Status() int { return codec.HeaderView(m.rawHeader).Status() }

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

// Status returns the status code of the message's header block, 0 if none.
func (m *BorrowedMsg) Status() int { return m.Header.Status() }

// Description returns the status description; it aliases the read buffer.
func (m *BorrowedMsg) Description() []byte { return m.Header.Description() }

// Subscription returns the subscription that received m.
func (m *BorrowedMsg) Subscription() *Subscription { return m.sub }

// Copy returns an owned copy of m, in one allocation (plus the header map
// when there are headers).
func (m *BorrowedMsg) Copy() *Msg {
	return newOwnedMsg(m.conn, m.sub, m.Subject, m.Reply, []byte(m.Header), m.Data)
}

// statusError turns a status-only reply into the error it stands for, or nil
// for ordinary messages.
func statusError(status int, desc []byte) error {
	switch status {
	case 0:
		return nil
	case codec.StatusNoResponders:
		return ErrNoResponders
	}
	return &StatusError{Code: status, Description: string(desc)}
}

// StatusError is a status message (NATS/1.0 <code> <description>) that came
// where a reply was expected.
type StatusError struct {
	Code        int
	Description string
}

func (e *StatusError) Error() string {
	if e.Description == "" {
		return "core: status " + strconv.Itoa(e.Code)
	}
	return "core: status " + strconv.Itoa(e.Code) + " " + e.Description
}
