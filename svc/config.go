package svc

import (
	"maps"
)

// Defaults. Each field and option names its default; the values live here.
const (
	// DefaultQueueGroup is the queue group endpoints join unless the
	// service, a group or the endpoint sets another or disables it (ADR-32).
	DefaultQueueGroup = "q"
	// DefaultPrefix is the first token of the discovery subjects
	// ($SRV.PING, $SRV.INFO.<name>, $SRV.STATS.<name>.<id>).
	DefaultPrefix = "$SRV"
)

// Config describes a service. Name and Version are required; everything
// else is optional.
type Config struct {
	// Name identifies the service kind: ASCII letters, digits, '-' and '_'.
	// Every instance of a service uses the same name.
	Name string
	// Version is the service's semantic version (semver.org 2.0.0), such as
	// "1.0.0" or "2.1.0-rc.1+build.5".
	Version string
	// Description is free text shown by INFO. Default: "".
	Description string
	// Metadata is free key/value data shown by PING, INFO and STATS. It is
	// copied by Add and cannot change afterwards. Default: none (shown as
	// an empty object).
	Metadata map[string]string
	// QueueGroup is the queue group of the service's endpoints unless a
	// group or endpoint sets its own. Default: DefaultQueueGroup ("q").
	QueueGroup string
	// QueueGroupDisabled makes endpoints plain subscriptions, so every
	// instance receives every request, unless a group or endpoint sets a
	// queue group. Default: false.
	QueueGroupDisabled bool
	// Prefix replaces $SRV as the first token of the discovery subjects.
	// Clients must use the same prefix (WithPrefix). Default:
	// DefaultPrefix ("$SRV").
	Prefix string
	// StatsHandler returns custom data for an endpoint's entry in STATS
	// (the "data" field); it must be safe to call concurrently with
	// requests and must return a value encoding/json can marshal. Default:
	// none (no "data" field).
	StatsHandler func(*Endpoint) any
	// ErrorHandler is told about failures a requester may not see: handler
	// panics and endpoint subscriptions ended by the server (*HandlerError).
	// It runs on a goroutine of its own. Default: none.
	ErrorHandler func(*Service, error)
	// DoneHandler is called once the service has stopped: after Stop
	// drained it, or when its connection closed. It runs on a goroutine of
	// its own. Default: none.
	DoneHandler func(*Service)
}

// validate checks everything ADR-32 constrains, before anything is
// subscribed.
func (c *Config) validate() error {
	if !validName(c.Name) {
		return configErr("name", c.Name, "must be one or more of A-Z, a-z, 0-9, '-' and '_'")
	}
	if !validSemVer(c.Version) {
		return configErr("version", c.Version, "must be a semantic version such as 1.0.0")
	}
	if c.QueueGroup != "" {
		if err := checkQueue(queueChoice{name: c.QueueGroup, set: true}); err != nil {
			return err
		}
	}
	if c.Prefix != "" {
		if err := checkPrefix(c.Prefix); err != nil {
			return err
		}
	}
	return nil
}

// queueChoice is what one level (service, group, endpoint) says about the
// queue group: nothing (inherit), a name, or disabled.
type queueChoice struct {
	name     string
	set      bool
	disabled bool
}

// under resolves q beneath its parent: a level that says something wins.
func (q queueChoice) under(parent queueChoice) queueChoice {
	if q.set {
		return q
	}
	return parent
}

// queue returns the subscription's queue group, "" for none.
func (q queueChoice) queue() string {
	switch {
	case q.disabled:
		return ""
	case q.set:
		return q.name
	default:
		return DefaultQueueGroup
	}
}

// Option configures an endpoint (AddEndpoint) or a group (AddGroup).
// Groups accept QueueGroup, NoQueueGroup, Borrowed and PendingLimits, which
// their endpoints inherit.
type Option func(*options)

type options struct {
	subject  string
	queue    queueChoice
	metadata map[string]string
	msgs     int
	bytes    int
	limits   bool
	borrowed bool
	// endpointOnly names an option a group cannot take.
	endpointOnly string
}

// WithSubject sets the endpoint's subject (below its group's prefix).
// Wildcards are allowed; '>' only as the last token. Default: the
// endpoint's name.
func WithSubject(subject string) Option {
	return func(o *options) { o.subject = subject; o.endpointOnly = "subject" }
}

// QueueGroup sets the queue group of the endpoint, or of the group's
// endpoints. Default: inherited from the group or service, finally
// DefaultQueueGroup.
func QueueGroup(name string) Option {
	return func(o *options) { o.queue = queueChoice{name: name, set: true} }
}

// NoQueueGroup makes the endpoint (or the group's endpoints) a plain
// subscription: every instance receives every request. Default: inherited;
// a queue group.
func NoQueueGroup() Option {
	return func(o *options) { o.queue = queueChoice{set: true, disabled: true} }
}

// WithMetadata sets the endpoint's metadata, shown by INFO. The map is
// copied. Default: none (an empty object).
func WithMetadata(m map[string]string) Option {
	return func(o *options) { o.metadata = maps.Clone(m); o.endpointOnly = "metadata" }
}

// PendingLimits bounds the requests (and their bytes) waiting for the
// endpoint's handler; requests over it are dropped, and their requesters
// time out. Zero or less means no limit of that kind. Borrowed endpoints
// have no queue and ignore it. Default: the connection's
// (core.WithPendingLimits).
func PendingLimits(msgs, bytes int) Option {
	return func(o *options) { o.msgs, o.bytes, o.limits = msgs, bytes, true }
}

// Borrowed runs the endpoint's handler on the connection's reader goroutine
// with a borrowed request: nothing is allocated or copied per request, but
// the handler must return quickly, must not block (no Request, Flush or
// Stop from inside it), and must keep nothing of the Request after it
// returns: the Request and its Data are reused for the next one. Default:
// owned requests, handled one at a time on the endpoint's own goroutine,
// which the handler may keep and answer later.
func Borrowed() Option {
	return func(o *options) { o.borrowed = true }
}

func applyOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
