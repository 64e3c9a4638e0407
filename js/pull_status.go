package js

import (
	"errors"
	"strconv"
	"strings"

	"github.com/starling-nats/starling/codec"
)

// Reasons a pull ended, matched with errors.Is against the *PullStatusError
// a Fetch, Next or a consume's error handler returns (protocol-facts §2.8).
var (
	// ErrNoMessages: 404, a no-wait pull found nothing.
	ErrNoMessages = errors.New("js: no messages")
	// ErrPullExpired: 408 Request Timeout or Interest Expired, the pull's
	// expiry passed.
	ErrPullExpired = errors.New("js: pull request expired")
	// ErrRequestsPending: 408 Requests Pending, other waiting pulls claim
	// the backlog a no-wait pull asked for.
	ErrRequestsPending = errors.New("js: other pull requests pending")
	// ErrBatchCompleted: 409 Batch Completed, the batch was delivered
	// while byte budget remained.
	ErrBatchCompleted = errors.New("js: batch completed")
	// ErrMaxBytesExceeded: 409 Message Size Exceeds MaxBytes.
	ErrMaxBytesExceeded = errors.New("js: message size exceeds max bytes")
	// ErrPullLimitExceeded: 409 Exceeded MaxWaiting, MaxRequestBatch,
	// MaxRequestExpires or MaxRequestMaxBytes; the consumer's limits
	// refused the pull.
	ErrPullLimitExceeded = errors.New("js: pull request exceeds a consumer limit")
	// ErrLeadershipChange: 409 Leadership Change; the pull is gone and
	// must be re-issued (consumes do so themselves).
	ErrLeadershipChange = errors.New("js: consumer leadership changed")
	// ErrServerShutdown: 409 Server Shutdown; as for a leadership change.
	ErrServerShutdown = errors.New("js: server shutting down")
	// ErrConsumerDeleted: 409 Consumer Deleted, or a consumer found
	// missing after missed heartbeats. Terminal.
	ErrConsumerDeleted = errors.New("js: consumer deleted")
	// ErrConsumerPushBased: 409 Consumer is push based; pulls cannot
	// work. Terminal.
	ErrConsumerPushBased = errors.New("js: consumer is push based")
	// ErrBadPullRequest: 400 Bad Request; the server refused the pull's
	// body. Terminal.
	ErrBadPullRequest = errors.New("js: bad pull request")
	// ErrPinIDMismatch: 423, the pin id of a pinned_client group is no
	// longer this client's; the pin is cleared and the pull re-issued.
	ErrPinIDMismatch = errors.New("js: priority group pin id mismatch")
	// ErrNoHeartbeat: no message or heartbeat came for twice the
	// heartbeat interval; consumes re-issue their pull.
	ErrNoHeartbeat = errors.New("js: missed heartbeats")
	// ErrConsumeStopped: Stop or Drain ended the consume.
	ErrConsumeStopped = errors.New("js: consume stopped")
)

// PullStatusError is a status the server sent to end a pull request.
// errors.Is matches it against ErrNoMessages, ErrPullExpired and the
// other pull sentinels; PendingMsgs and PendingBytes say how much of the
// request was left unfilled, when the server said.
type PullStatusError struct {
	Code         int
	Description  string
	PendingMsgs  int
	PendingBytes int
	kind         error
}

func (e *PullStatusError) Error() string {
	return "js: pull ended: " + strconv.Itoa(e.Code) + " " + e.Description
}

// Is matches the reason's sentinel.
func (e *PullStatusError) Is(target error) bool { return target == e.kind }

// Unwrap returns the reason's sentinel.
func (e *PullStatusError) Unwrap() error { return e.kind }

// statusKind classifies a pull status line.
func statusKind(code int, desc string) error {
	switch code {
	case 404:
		return ErrNoMessages
	case 408:
		if strings.HasPrefix(desc, "Requests Pending") {
			return ErrRequestsPending
		}
		return ErrPullExpired
	case 409:
		switch {
		case desc == "Batch Completed":
			return ErrBatchCompleted
		case strings.HasPrefix(desc, "Message Size Exceeds MaxBytes"):
			return ErrMaxBytesExceeded
		case strings.HasPrefix(desc, "Exceeded Max"):
			return ErrPullLimitExceeded
		case desc == "Leadership Change":
			return ErrLeadershipChange
		case desc == "Server Shutdown":
			return ErrServerShutdown
		case desc == "Consumer Deleted":
			return ErrConsumerDeleted
		case strings.HasPrefix(desc, "Consumer is push based"):
			return ErrConsumerPushBased
		}
	case 400:
		return ErrBadPullRequest
	case 412:
		return ErrAPILevelTooLow
	case 423:
		return ErrPinIDMismatch
	case 503:
		return ErrNoStreamResponse
	}
	return ErrInvalidResponse
}

// pullStatus reads a status message: its error, and the request's unfilled
// messages and bytes, -1 when the server did not say.
func pullStatus(h codec.HeaderView) *PullStatusError {
	desc := string(h.Description())
	e := &PullStatusError{Code: h.Status(), Description: desc, PendingMsgs: -1, PendingBytes: -1}
	e.kind = statusKind(e.Code, desc)
	if v, ok := parseUint(bytesView(h.Get("Nats-Pending-Messages"))); ok {
		e.PendingMsgs = int(v)
	}
	if v, ok := parseUint(bytesView(h.Get("Nats-Pending-Bytes"))); ok {
		e.PendingBytes = int(v)
	}
	return e
}

// terminal reports whether a pull status ends a consume: the consumer is
// gone, cannot be pulled, or refuses the request's form.
func terminal(err error) bool {
	return errors.Is(err, ErrConsumerDeleted) || errors.Is(err, ErrConsumerPushBased) ||
		errors.Is(err, ErrBadPullRequest) || errors.Is(err, ErrAPILevelTooLow) ||
		errors.Is(err, ErrInvalidResponse)
}
