package js

import (
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nuid"
	"github.com/starling-nats/starling/core"
)

// Headers JetStream reads on a publish.
const (
	HeaderMsgID                      = "Nats-Msg-Id"
	HeaderExpectedStream             = "Nats-Expected-Stream"
	HeaderExpectedLastSeq            = "Nats-Expected-Last-Sequence"
	HeaderExpectedLastSubjSeq        = "Nats-Expected-Last-Subject-Sequence"
	HeaderExpectedLastSubjSeqSubject = "Nats-Expected-Last-Subject-Sequence-Subject"
	HeaderExpectedLastMsgID          = "Nats-Expected-Last-Msg-Id"
	HeaderTTL                        = "Nats-TTL"
	HeaderIncr                       = "Nats-Incr"
	HeaderBatchID                    = "Nats-Batch-Id"
	HeaderBatchSeq                   = "Nats-Batch-Sequence"
	HeaderBatchCommit                = "Nats-Batch-Commit"
	HeaderSchedule                   = "Nats-Schedule"
	HeaderScheduleTarget             = "Nats-Schedule-Target"
	HeaderScheduleTTL                = "Nats-Schedule-TTL"
)

// PubOption sets a header or a behaviour of one publish.
type PubOption func(*pubOpts) error

type pubOpts struct {
	msgID       string
	autoID      bool
	stream      string
	lastSeq     uint64
	hasLastSeq  bool
	lastSubjSeq uint64
	hasSubjSeq  bool
	lastSubj    string
	lastMsgID   string
	ttl         string
	ackWait     time.Duration
	extra       core.Header

	incr                     string
	schedule, scheduleTarget string
	scheduleTTL              string
	// level and feature: the API level the options need, checked before
	// anything is sent.
	level   int
	feature string
}

// MsgID sets Nats-Msg-Id: the stream stores a message with this ID once
// within its duplicate window. With an ID, a publish whose ack times out
// is republished with the same ID until it is acknowledged or the
// caller's context ends; a Duplicate ack then means the first was stored.
func MsgID(id string) PubOption {
	return func(o *pubOpts) error {
		if id == "" {
			return fmt.Errorf("%w: empty msg id", ErrInvalidOption)
		}
		o.msgID = id
		return nil
	}
}

// AutoMsgID gives the message a random MsgID unless it has one, so that
// an ack timeout is resolved by republishing instead of reported.
func AutoMsgID() PubOption {
	return func(o *pubOpts) error {
		o.autoID = true
		return nil
	}
}

// ExpectStream rejects the publish (ErrStreamMismatch) unless stream is
// the one that stores it.
func ExpectStream(stream string) PubOption {
	return func(o *pubOpts) error {
		o.stream = stream
		return nil
	}
}

// ExpectLastSequence rejects the publish (ErrWrongLastSequence) unless
// the stream's last sequence is seq.
func ExpectLastSequence(seq uint64) PubOption {
	return func(o *pubOpts) error {
		o.lastSeq, o.hasLastSeq = seq, true
		return nil
	}
}

// ExpectLastSubjectSequence rejects the publish (ErrWrongLastSequence)
// unless the last message on its subject has sequence seq (0: none).
func ExpectLastSubjectSequence(seq uint64) PubOption {
	return func(o *pubOpts) error {
		o.lastSubjSeq, o.hasSubjSeq = seq, true
		return nil
	}
}

// ExpectLastSubjectSequenceFor is ExpectLastSubjectSequence checked
// against subject (wildcards allowed) instead of the published one
// (nats-server 2.11).
func ExpectLastSubjectSequenceFor(subject string, seq uint64) PubOption {
	return func(o *pubOpts) error {
		o.lastSubjSeq, o.hasSubjSeq, o.lastSubj = seq, true, subject
		return nil
	}
}

// ExpectLastMsgID rejects the publish (ErrWrongLastMsgID) unless the
// stream's last message has MsgID id.
func ExpectLastMsgID(id string) PubOption {
	return func(o *pubOpts) error {
		o.lastMsgID = id
		return nil
	}
}

// TTL sets Nats-TTL: the message expires after d (at least a second). The
// stream needs AllowMsgTTL (else ErrTTLDisabled).
func TTL(d time.Duration) PubOption {
	return func(o *pubOpts) error {
		if d < time.Second {
			return fmt.Errorf("%w: ttl %v below 1s", ErrInvalidOption, d)
		}
		o.ttl = d.String()
		return nil
	}
}

// TTLNever sets Nats-TTL to "never": the message outlives the stream's
// MaxAge.
func TTLNever() PubOption {
	return func(o *pubOpts) error {
		o.ttl = "never"
		return nil
	}
}

// WithHeader adds a header to the published message.
func WithHeader(key, value string) PubOption {
	return func(o *pubOpts) error {
		if o.extra == nil {
			o.extra = core.Header{}
		}
		o.extra.Add(key, value)
		return nil
	}
}

// AckWait bounds each attempt's wait for the ack of Publish. Default: the
// context's timeout (WithTimeout), or what is left of the caller's
// deadline. PublishAsync refuses it: async publishes share
// WithPublishAsyncTimeout.
func AckWait(d time.Duration) PubOption {
	return func(o *pubOpts) error {
		if d <= 0 {
			return fmt.Errorf("%w: ack wait %v", ErrInvalidOption, d)
		}
		o.ackWait = d
		return nil
	}
}

// header returns base with the option headers added, copying base when it
// has to change it. It returns base itself when there is nothing to add.
func (o *pubOpts) header(base core.Header) core.Header {
	if o.autoID && o.msgID == "" && base.Get(HeaderMsgID) == "" {
		o.msgID = nuid.Next()
	}
	if o.msgID == "" && o.stream == "" && !o.hasLastSeq && !o.hasSubjSeq && o.lastMsgID == "" && o.ttl == "" && o.extra == nil && o.incr == "" && o.schedule == "" && o.scheduleTTL == "" {
		return base
	}
	h := make(core.Header, len(base)+4)
	for k, v := range base {
		h[k] = append([]string(nil), v...)
	}
	for k, v := range o.extra {
		h[k] = append(h[k], v...)
	}
	if o.msgID != "" {
		h.Set(HeaderMsgID, o.msgID)
	}
	if o.stream != "" {
		h.Set(HeaderExpectedStream, o.stream)
	}
	if o.hasLastSeq {
		h.Set(HeaderExpectedLastSeq, strconv.FormatUint(o.lastSeq, 10))
	}
	if o.hasSubjSeq {
		h.Set(HeaderExpectedLastSubjSeq, strconv.FormatUint(o.lastSubjSeq, 10))
		if o.lastSubj != "" {
			h.Set(HeaderExpectedLastSubjSeqSubject, o.lastSubj)
		}
	}
	if o.lastMsgID != "" {
		h.Set(HeaderExpectedLastMsgID, o.lastMsgID)
	}
	if o.ttl != "" {
		h.Set(HeaderTTL, o.ttl)
	}
	o.featureHeaders(h)
	return h
}
