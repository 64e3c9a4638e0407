package svc

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// Handler serves an endpoint's requests.
type Handler interface {
	Handle(*Request)
}

// HandlerFunc lets a function be a Handler.
type HandlerFunc func(*Request)

// Handle calls f(r).
func (f HandlerFunc) Handle(r *Request) { f(r) }

// Request is one request to an endpoint. Answer it once, with Respond,
// RespondJSON or Error; a requester that gets no answer waits until its
// own timeout.
//
// An owned Request (the default) belongs to the handler: it may be kept
// and answered later from any goroutine. A borrowed Request (endpoints
// added with Borrowed) is lent for the duration of the handler call: its
// Data aliases the connection's read buffer, and the Request itself is
// reused for the next call, so nothing of it may be kept.
type Request struct {
	ep  *Endpoint
	msg *core.Msg
	bm  *core.BorrowedMsg
	// responded records the first answer, so that a panic after it sends
	// no second reply.
	responded atomic.Bool
}

// Data returns the request's payload. For a borrowed Request it is valid
// only during the handler call.
func (r *Request) Data() []byte {
	if r.bm != nil {
		return r.bm.Data
	}
	return r.msg.Data
}

// Subject returns the subject the request was sent to (useful with
// wildcard endpoints). For a borrowed Request it is a copy, which
// allocates; Borrowed gives the bytes without a copy.
func (r *Request) Subject() string {
	if r.bm != nil {
		return string(r.bm.Subject)
	}
	return r.msg.Subject
}

// Reply returns the subject the answer goes to, "" when the requester
// asked for none (a plain publish), in which case answers are dropped.
func (r *Request) Reply() string {
	if r.bm != nil {
		return string(r.bm.Reply)
	}
	return r.msg.Reply
}

// Headers returns the request's headers, nil when it has none. For a
// borrowed Request they are parsed into a new map (allocating); use
// HeaderValue for a single key without allocating.
func (r *Request) Headers() core.Header {
	if r.bm != nil {
		if len(r.bm.Header) == 0 {
			return nil
		}
		h, err := codec.ParseHeader(r.bm.Header)
		if err != nil {
			return nil
		}
		return h
	}
	return r.msg.Header
}

// HeaderValue returns the first value of header key ("" when absent). For
// a borrowed Request only the returned string is allocated (no map);
// Borrowed().Header.Get reads it without any allocation.
func (r *Request) HeaderValue(key string) string {
	if r.bm != nil {
		return string(r.bm.Header.Get(key))
	}
	return r.msg.Header.Get(key)
}

// Endpoint returns the endpoint that received the request.
func (r *Request) Endpoint() *Endpoint { return r.ep }

// Msg returns the underlying owned message, nil for a borrowed Request.
func (r *Request) Msg() *core.Msg { return r.msg }

// Borrowed returns the underlying borrowed message, valid only during the
// handler call; nil for an owned Request.
func (r *Request) Borrowed() *core.BorrowedMsg { return r.bm }

// RespondOption adds to an answer.
type RespondOption func(*core.Msg)

// WithHeaders adds headers to an answer (Respond, RespondJSON or Error).
// The map is read during the call only.
func WithHeaders(h core.Header) RespondOption {
	return func(m *core.Msg) {
		if m.Header == nil {
			m.Header = core.Header{}
		}
		for k, vs := range h {
			m.Header[k] = append(m.Header[k], vs...)
		}
	}
}

// Respond answers the request with data. Without options it allocates
// nothing for a borrowed Request.
func (r *Request) Respond(data []byte, opts ...RespondOption) error {
	r.responded.Store(true)
	if len(opts) == 0 {
		if r.bm != nil {
			return r.bm.Respond(data)
		}
		return r.msg.Respond(data)
	}
	reply := &core.Msg{Data: data}
	for _, o := range opts {
		o(reply)
	}
	return r.respondMsg(reply)
}

// RespondJSON answers the request with v encoded as JSON. An encoding
// failure sends nothing and is returned.
func (r *Request) RespondJSON(v any, opts ...RespondOption) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("svc: encoding the response: %w", err)
	}
	return r.Respond(data, opts...)
}

// Error answers the request with an error: the Nats-Service-Error-Code
// header carries code (100–999, such as 400 or 500), Nats-Service-Error
// carries description, and data, when not nil, is the payload. The error
// is counted in the endpoint's num_errors and becomes its last_error
// ("<code>:<description>"). A code out of range or an empty description
// returns ErrBadErrorReply and sends nothing. A description holding CR or
// LF, which a header cannot carry, has them replaced by spaces.
func (r *Request) Error(code int, description string, data []byte, opts ...RespondOption) error {
	if code < 100 || code > 999 || description == "" {
		return fmt.Errorf("%w: code %d, description %q", ErrBadErrorReply, code, description)
	}
	description = headerSafe(description)
	reply := &core.Msg{Data: data}
	for _, o := range opts {
		o(reply)
	}
	if reply.Header == nil {
		reply.Header = core.Header{}
	}
	reply.Header[ErrorHeader] = []string{description}
	reply.Header[ErrorCodeHeader] = []string{strconv.Itoa(code)}
	r.responded.Store(true)
	r.ep.recordError(code, description)
	return r.respondMsg(reply)
}

func (r *Request) respondMsg(m *core.Msg) error {
	if r.bm != nil {
		return r.bm.RespondMsg(m)
	}
	return r.msg.RespondMsg(m)
}

// headerSafe replaces the bytes a header value cannot hold (CR, LF) with
// spaces, so a description taken from an error message still gets sent.
func headerSafe(s string) string {
	if codec.ValidHeaderValue(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}
