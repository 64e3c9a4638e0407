package svc

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/starling-nats/starling/core"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrInvalidConfig: a service, group or endpoint was configured with a
	// value ADR-32 forbids. Nothing was subscribed. A *ConfigError names the
	// field.
	ErrInvalidConfig = errors.New("svc: invalid configuration")
	// ErrStopped: the service was stopped (by Stop or because its
	// connection closed); it accepts no new endpoints.
	ErrStopped = errors.New("svc: service stopped")
	// ErrBadErrorReply: Request.Error was given a code outside 100–999 or an
	// empty description. Nothing was sent.
	ErrBadErrorReply = errors.New("svc: error reply needs a code in 100-999 and a description")
	// ErrHandlerPanic: an endpoint handler panicked. The requester got a 500
	// error reply; the service keeps running. Reported to ErrorHandler inside
	// a *HandlerError.
	ErrHandlerPanic = errors.New("svc: handler panicked")
	// ErrBadResponse: a discovery reply could not be decoded or has the wrong
	// type. The other instances' replies are still yielded.
	ErrBadResponse = errors.New("svc: malformed discovery response")
)

// ConfigError says which part of a configuration was refused and why. It
// matches ErrInvalidConfig.
type ConfigError struct {
	// Field is what was refused: "name", "version", "queue group",
	// "endpoint name", "endpoint subject", "group", "prefix", "pending limits".
	Field string
	// Value is the refused value.
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("svc: invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap makes a ConfigError match ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

func configErr(field, value, reason string) error {
	return &ConfigError{Field: field, Value: value, Reason: reason}
}

// HandlerError reports a failure in one endpoint that the requester may
// not see: a panic (Err matches ErrHandlerPanic, Value holds what was
// raised), or the endpoint's subscription ended by the server (a
// permissions violation). The service keeps running in the first case; in
// the second the endpoint no longer receives.
type HandlerError struct {
	Endpoint string
	Subject  string
	// Value is what the handler panicked with, nil otherwise.
	Value any
	Err   error
}

func (e *HandlerError) Error() string {
	if e.Value != nil {
		return fmt.Sprintf("svc: endpoint %q (%s): %v: %v", e.Endpoint, e.Subject, e.Err, e.Value)
	}
	return fmt.Sprintf("svc: endpoint %q (%s): %v", e.Endpoint, e.Subject, e.Err)
}

func (e *HandlerError) Unwrap() error { return e.Err }

// Header names of an error reply (ADR-32).
const (
	ErrorHeader     = "Nats-Service-Error"
	ErrorCodeHeader = "Nats-Service-Error-Code"
)

// ServiceError is an error reply from a service endpoint: the
// Nats-Service-Error-Code and Nats-Service-Error headers, and the reply's
// data (optional details the handler chose to send).
type ServiceError struct {
	Code        int
	Description string
	Data        []byte
}

func (e *ServiceError) Error() string {
	return "svc: service error " + strconv.Itoa(e.Code) + ": " + e.Description
}

// ResponseError returns the *ServiceError a reply carries, or nil when the
// reply is a normal response. Requesters call it on every reply of a
// service endpoint: an error reply is otherwise an ordinary message.
func ResponseError(m *core.Msg) error {
	if m == nil || m.Header == nil {
		return nil
	}
	code, desc := m.Header.Get(ErrorCodeHeader), m.Header.Get(ErrorHeader)
	if code == "" && desc == "" {
		return nil
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		// A code that is not a number still marks the reply as an error;
		// 500 keeps it one for callers that switch on the code.
		n = 500
	}
	return &ServiceError{Code: n, Description: desc, Data: m.Data}
}
