package js

import (
	"fmt"
	"strconv"
	"time"
)

// Defaults of pull options (ADR-37).
const (
	// DefaultPullMaxMessages is how many messages a consume keeps asked
	// for.
	DefaultPullMaxMessages = 500
	// DefaultPullExpiry is how long each pull request of a consume, and a
	// Fetch, waits at the server.
	DefaultPullExpiry = 30 * time.Second
	// minPullExpiry is the shortest expiry a consume uses (ADR-37).
	minPullExpiry = time.Second
)

// PullOption configures Fetch, Next, Consume, ConsumeBorrowed and
// Messages. Each says which of them it applies to.
type PullOption func(*pullOpts) error

type pullOpts struct {
	maxMsgs        int
	maxBytes       int
	expiry         time.Duration
	heartbeat      time.Duration
	thresholdMsgs  int
	thresholdBytes int
	noWait         bool
	errHandler     func(error)

	group         string
	minPending    int64
	minAckPending int64
	priority      int
}

// PullMaxMessages is how many messages a consume keeps requested (and,
// for the owned handler and Messages, at most how many wait in memory).
// Default: DefaultPullMaxMessages (500). Consume and Messages.
func PullMaxMessages(n int) PullOption {
	return func(o *pullOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: max messages %d", ErrInvalidOption, n)
		}
		o.maxMsgs = n
		return nil
	}
}

// PullMaxBytes caps the bytes requested: for Fetch the request's
// max_bytes, for a consume the bytes kept requested (the message count is
// then not the limit). Default: no byte cap. All pulls.
func PullMaxBytes(n int) PullOption {
	return func(o *pullOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: max bytes %d", ErrInvalidOption, n)
		}
		o.maxBytes = n
		return nil
	}
}

// PullExpiry is how long a pull request waits at the server. Default:
// DefaultPullExpiry (30 s); at least 1 s for a consume. For Fetch and
// Next, a context deadline that comes first shortens it.
func PullExpiry(d time.Duration) PullOption {
	return func(o *pullOpts) error {
		if d <= 0 {
			return fmt.Errorf("%w: expiry %v", ErrInvalidOption, d)
		}
		o.expiry = d
		return nil
	}
}

// PullHeartbeat asks the server for an idle heartbeat every d while a pull
// waits; no traffic for 2×d is ErrNoHeartbeat. It must be at most half
// the expiry. Default: for a consume, half the expiry clamped to
// 500 ms–30 s; for Fetch, none.
func PullHeartbeat(d time.Duration) PullOption {
	return func(o *pullOpts) error {
		if d <= 0 {
			return fmt.Errorf("%w: heartbeat %v", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

// PullThreshold sets when a consume asks for more: once fewer than msgs
// messages (and, with PullMaxBytes, fewer than bytes bytes) remain
// requested or undelivered. Default: half of each maximum.
func PullThreshold(msgs, bytes int) PullOption {
	return func(o *pullOpts) error {
		if msgs < 0 || bytes < 0 {
			return fmt.Errorf("%w: threshold %d, %d", ErrInvalidOption, msgs, bytes)
		}
		o.thresholdMsgs, o.thresholdBytes = msgs, bytes
		return nil
	}
}

// PullErrorHandler receives what a consume met without ending
// (ErrNoHeartbeat, ErrLeadershipChange, ...) and, last, the error that
// ended it. It runs on the consume's own goroutine. Default: none (the
// ending error is still in ConsumeContext.Err). Consume and
// ConsumeBorrowed.
func PullErrorHandler(h func(error)) PullOption {
	return func(o *pullOpts) error {
		o.errHandler = h
		return nil
	}
}

// PullPriorityGroup pulls as a member of a priority group (ADR-42); the
// consumer must list it in PriorityGroups. All pulls.
func PullPriorityGroup(group string) PullOption {
	return func(o *pullOpts) error {
		if !validGroup(group) {
			return fmt.Errorf("%w: priority group %q", ErrInvalidOption, group)
		}
		o.group = group
		return nil
	}
}

// PullMinPending (overflow policy) serves this pull only while the
// consumer has at least n messages pending. All pulls with a group.
func PullMinPending(n int64) PullOption {
	return func(o *pullOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: min pending %d", ErrInvalidOption, n)
		}
		o.minPending = n
		return nil
	}
}

// PullMinAckPending (overflow policy) serves this pull only while at least
// n messages await acks. All pulls with a group.
func PullMinAckPending(n int64) PullOption {
	return func(o *pullOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: min ack pending %d", ErrInvalidOption, n)
		}
		o.minAckPending = n
		return nil
	}
}

// PullPriority (prioritized policy) is this pull's priority, 0 to 9;
// lower is served first. Default 0. All pulls with a group.
func PullPriority(p int) PullOption {
	return func(o *pullOpts) error {
		if p < 0 || p > 9 {
			return fmt.Errorf("%w: priority %d", ErrInvalidOption, p)
		}
		o.priority = p
		return nil
	}
}

// validGroup applies the server's rule for group names: 1 to 16 of
// A-Z a-z 0-9 - _ / =.
func validGroup(g string) bool {
	if len(g) == 0 || len(g) > 16 {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// validPinID accepts what the server sends as a Nats-Pin-Id (a nuid): it
// goes into the request JSON unquoted-safe.
func validPinID(id []byte) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func applyPullOpts(opts []PullOption) (pullOpts, error) {
	var o pullOpts
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.heartbeat > 0 && o.expiry > 0 && o.heartbeat > o.expiry/2 {
		return o, fmt.Errorf("%w: heartbeat %v over half the expiry %v", ErrInvalidOption, o.heartbeat, o.expiry)
	}
	if o.group == "" && (o.minPending > 0 || o.minAckPending > 0 || o.priority > 0) {
		return o, fmt.Errorf("%w: priority options without a group", ErrInvalidOption)
	}
	return o, nil
}

// pullRequest is one request's body (protocol-facts §2.8).
type pullRequest struct {
	batch     int
	maxBytes  int
	expires   time.Duration
	heartbeat time.Duration
	noWait    bool
	pin       string
	o         *pullOpts
}

// appendPullRequest encodes r as JSON without allocating; every string in
// it has been checked to need no escaping.
func appendPullRequest(dst []byte, r *pullRequest) []byte {
	dst = append(dst, `{"batch":`...)
	dst = strconv.AppendInt(dst, int64(r.batch), 10)
	if r.maxBytes > 0 {
		dst = append(dst, `,"max_bytes":`...)
		dst = strconv.AppendInt(dst, int64(r.maxBytes), 10)
	}
	if r.expires > 0 {
		dst = append(dst, `,"expires":`...)
		dst = strconv.AppendInt(dst, int64(r.expires), 10)
	}
	if r.heartbeat > 0 {
		dst = append(dst, `,"idle_heartbeat":`...)
		dst = strconv.AppendInt(dst, int64(r.heartbeat), 10)
	}
	if r.noWait {
		dst = append(dst, `,"no_wait":true`...)
	}
	if o := r.o; o != nil && o.group != "" {
		dst = append(dst, `,"group":"`...)
		dst = append(dst, o.group...)
		dst = append(dst, '"')
		if o.minPending > 0 {
			dst = append(dst, `,"min_pending":`...)
			dst = strconv.AppendInt(dst, o.minPending, 10)
		}
		if o.minAckPending > 0 {
			dst = append(dst, `,"min_ack_pending":`...)
			dst = strconv.AppendInt(dst, o.minAckPending, 10)
		}
		if o.priority > 0 {
			dst = append(dst, `,"priority":`...)
			dst = strconv.AppendInt(dst, int64(o.priority), 10)
		}
		if r.pin != "" {
			dst = append(dst, `,"id":"`...)
			dst = append(dst, r.pin...)
			dst = append(dst, '"')
		}
	}
	return append(dst, '}')
}
