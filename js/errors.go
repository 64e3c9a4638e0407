package js

import (
	"errors"
	"strconv"
)

// APIError is an error reply from the JetStream API: the server answered,
// and refused this one request. The connection and the context are fine.
//
// Only ErrCode is stable across server versions; match it with errors.Is
// against the sentinels below rather than reading Description.
type APIError struct {
	Code        int    `json:"code"`
	ErrCode     uint16 `json:"err_code"`
	Description string `json:"description"`
}

func (e *APIError) Error() string {
	d := e.Description
	if d == "" {
		d = "api error"
	}
	return "js: " + d + " (code " + strconv.Itoa(e.Code) + ", err_code " + strconv.Itoa(int(e.ErrCode)) + ")"
}

// Is reports whether target is the sentinel for e's err_code, or an
// *APIError with the same ErrCode.
func (e *APIError) Is(target error) bool {
	if t, ok := target.(*APIError); ok {
		return t.ErrCode == e.ErrCode
	}
	for _, s := range errCodeSentinels[e.ErrCode] {
		if s == target {
			return true
		}
	}
	return false
}

// Sentinels for the JetStream err_codes callers branch on. An *APIError
// matches them with errors.Is.
var (
	ErrStreamNotFound         = errors.New("js: stream not found")                         // 10059
	ErrConsumerNotFound       = errors.New("js: consumer not found")                       // 10014
	ErrMsgNotFound            = errors.New("js: message not found")                        // 10037, and direct get 404
	ErrStreamNameInUse        = errors.New("js: stream name in use")                       // 10058
	ErrSubjectsOverlap        = errors.New("js: subjects overlap with an existing stream") // 10065
	ErrWrongLastSequence      = errors.New("js: wrong last sequence")                      // 10071, 10164
	ErrWrongLastMsgID         = errors.New("js: wrong last msg id")                        // 10070
	ErrStreamMismatch         = errors.New("js: expected stream does not match")           // 10060
	ErrConsumerNameInUse      = errors.New("js: consumer name in use")                     // 10013
	ErrConsumerExists         = errors.New("js: consumer already exists")                  // 10148
	ErrConsumerDoesNotExist   = errors.New("js: consumer does not exist")                  // 10149
	ErrStreamSealed           = errors.New("js: invalid operation on sealed stream")       // 10109
	ErrInvalidTTL             = errors.New("js: invalid per-message ttl")                  // 10165
	ErrTTLDisabled            = errors.New("js: per-message ttl disabled")                 // 10166
	ErrJetStreamNotEnabled    = errors.New("js: jetstream not enabled")                    // 10039, 10076
	ErrAPILevelTooLow         = errors.New("js: server api level too low")                 // 10185, and the client-side check
	ErrStreamInvalidConfig    = errors.New("js: invalid stream config")                    // 10052
	ErrMissingSubjectSequence = errors.New("js: expected last subject sequence missing")   // 10193
	ErrCounterDisabled        = errors.New("js: counters not enabled on stream")           // 10168
	ErrAtomicDisabled         = errors.New("js: atomic publish not enabled on stream")     // 10174
	ErrBatchIncomplete        = errors.New("js: atomic batch incomplete")                  // 10176
	ErrSchedulesDisabled      = errors.New("js: message schedules not enabled on stream")  // 10188
)

var errCodeSentinels = map[uint16][]error{
	10059: {ErrStreamNotFound},
	10014: {ErrConsumerNotFound},
	10037: {ErrMsgNotFound},
	10058: {ErrStreamNameInUse},
	10065: {ErrSubjectsOverlap},
	10071: {ErrWrongLastSequence},
	10164: {ErrWrongLastSequence},
	10070: {ErrWrongLastMsgID},
	10060: {ErrStreamMismatch},
	10013: {ErrConsumerNameInUse},
	10148: {ErrConsumerExists},
	10149: {ErrConsumerDoesNotExist},
	10109: {ErrStreamSealed},
	10165: {ErrInvalidTTL},
	10166: {ErrTTLDisabled},
	10039: {ErrJetStreamNotEnabled},
	10076: {ErrJetStreamNotEnabled},
	10185: {ErrAPILevelTooLow},
	10052: {ErrStreamInvalidConfig},
	10193: {ErrMissingSubjectSequence},
	10168: {ErrCounterDisabled},
	10174: {ErrAtomicDisabled},
	10176: {ErrBatchIncomplete},
	10188: {ErrSchedulesDisabled},
}

// Errors the client itself reports.
var (
	// ErrNoStreamResponse: nobody answered (503 no responders). For a
	// publish, no stream listens on the subject; for an API call,
	// JetStream is not enabled or not reachable in this account or domain.
	ErrNoStreamResponse = errors.New("js: no stream response (no responders)")
	// ErrInvalidResponse: the API reply is not what the API sends (bad
	// JSON, a wrong type, a missing field). The request may have taken
	// effect; the reply cannot say.
	ErrInvalidResponse = errors.New("js: invalid api response")
	// ErrResponseTooLarge: the API reply exceeds the context's
	// MaxResponseSize and was not decoded.
	ErrResponseTooLarge = errors.New("js: api response too large")
	// ErrInvalidName: a stream name is empty or holds '.', '*', '>' or
	// whitespace.
	ErrInvalidName = errors.New("js: invalid stream name")
	// ErrInvalidOption: an option value is out of range or contradicts
	// another.
	ErrInvalidOption = errors.New("js: invalid option")
	// ErrAckTimeout: no PubAck arrived in time and the message could not
	// be republished safely (it has no MsgID) or the caller's context
	// ended. The message may or may not be stored.
	ErrAckTimeout = errors.New("js: publish ack timeout (outcome unknown)")
	// ErrAsyncPublishFull: the async publish window is full and the
	// context ended (or the non-blocking option is set) before room was
	// made.
	ErrAsyncPublishFull = errors.New("js: too many async publishes in flight")
	// ErrPublisherClosed: the context's async publisher was closed, or its
	// connection closed, before the ack arrived.
	ErrPublisherClosed = errors.New("js: async publisher closed")
	// ErrConnectionReset: the connection was lost while the publish was in
	// flight; the message may or may not be stored.
	ErrConnectionReset = errors.New("js: connection lost before the ack")
	// ErrEndOfBatch is not returned to users; it ends batched direct gets.
	errEndOfBatch = errors.New("js: end of batch")
)

// LevelError is returned before a request is sent when a feature needs a
// JetStream API level the server does not have. It matches
// ErrAPILevelTooLow.
type LevelError struct {
	Feature  string
	Required int
	Server   int
}

func (e *LevelError) Error() string {
	return "js: " + e.Feature + " needs jetstream api level " + strconv.Itoa(e.Required) + ", server has " + strconv.Itoa(e.Server)
}

// Is makes a *LevelError match ErrAPILevelTooLow.
func (e *LevelError) Is(target error) bool { return target == ErrAPILevelTooLow }
