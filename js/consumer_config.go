package js

import (
	"encoding/json"
	"time"
)

// DeliverPolicy is where a consumer starts in its stream.
type DeliverPolicy string

// Deliver policies.
const (
	DeliverAll             DeliverPolicy = "all"
	DeliverLast            DeliverPolicy = "last"
	DeliverNew             DeliverPolicy = "new"
	DeliverByStartSequence DeliverPolicy = "by_start_sequence"
	DeliverByStartTime     DeliverPolicy = "by_start_time"
	DeliverLastPerSubject  DeliverPolicy = "last_per_subject"
)

// AckPolicy is which acks a consumer expects.
type AckPolicy string

// Ack policies.
const (
	AckNone     AckPolicy = "none"
	AckAll      AckPolicy = "all"
	AckExplicit AckPolicy = "explicit"
	// AckFlowControl is used by sourcing (server 2.14).
	AckFlowControl AckPolicy = "flow_control"
)

// ReplayPolicy is the pace of delivery of stored messages.
type ReplayPolicy string

// Replay policies.
const (
	ReplayInstant  ReplayPolicy = "instant"
	ReplayOriginal ReplayPolicy = "original"
)

// PriorityPolicy is how a consumer with priority groups picks among
// waiting pulls (ADR-42).
type PriorityPolicy string

// Priority policies.
const (
	PriorityNone         PriorityPolicy = "none"
	PriorityOverflow     PriorityPolicy = "overflow"
	PriorityPinnedClient PriorityPolicy = "pinned_client"
	PriorityPrioritized  PriorityPolicy = "prioritized"
)

// ConsumerConfig is a consumer's configuration: every key of nats-server
// 2.15's ConsumerConfig. Zero values are left to the server's defaults
// (ack_wait 30 s, max_ack_pending 1000, max_waiting 512, ...).
//
// Keys this client does not know are kept from a config read from the
// server and written back, so read-modify-write through UpdateConsumer
// loses nothing.
type ConsumerConfig struct {
	Durable       string        `json:"durable_name,omitempty"`
	Name          string        `json:"name,omitempty"`
	Description   string        `json:"description,omitempty"`
	DeliverPolicy DeliverPolicy `json:"deliver_policy,omitempty"`
	OptStartSeq   uint64        `json:"opt_start_seq,omitempty"`
	OptStartTime  *time.Time    `json:"opt_start_time,omitempty"`
	AckPolicy     AckPolicy     `json:"ack_policy,omitempty"`
	AckWait       time.Duration `json:"ack_wait,omitempty"`
	MaxDeliver    int           `json:"max_deliver,omitempty"`
	// BackOff lists the redelivery delays; it replaces AckWait.
	BackOff         []time.Duration `json:"backoff,omitempty"`
	FilterSubject   string          `json:"filter_subject,omitempty"`
	FilterSubjects  []string        `json:"filter_subjects,omitempty"`
	ReplayPolicy    ReplayPolicy    `json:"replay_policy,omitempty"`
	RateLimit       uint64          `json:"rate_limit_bps,omitempty"`
	SampleFrequency string          `json:"sample_freq,omitempty"`
	MaxWaiting      int             `json:"max_waiting,omitempty"`
	MaxAckPending   int             `json:"max_ack_pending,omitempty"`
	HeadersOnly     bool            `json:"headers_only,omitempty"`

	// Pull limits: the most a single pull request may ask for.
	MaxRequestBatch    int           `json:"max_batch,omitempty"`
	MaxRequestExpires  time.Duration `json:"max_expires,omitempty"`
	MaxRequestMaxBytes int           `json:"max_bytes,omitempty"`

	// Push consumers.
	DeliverSubject string        `json:"deliver_subject,omitempty"`
	DeliverGroup   string        `json:"deliver_group,omitempty"`
	FlowControl    bool          `json:"flow_control,omitempty"`
	Heartbeat      time.Duration `json:"idle_heartbeat,omitempty"`

	InactiveThreshold time.Duration     `json:"inactive_threshold,omitempty"`
	Replicas          int               `json:"num_replicas,omitempty"`
	MemoryStorage     bool              `json:"mem_storage,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	PauseUntil        *time.Time        `json:"pause_until,omitempty"`

	// Priority groups (ADR-42).
	PriorityGroups []string       `json:"priority_groups,omitempty"`
	PriorityPolicy PriorityPolicy `json:"priority_policy,omitempty"`
	// PinnedTTL is how long a pinned client keeps its pin without pulling.
	PinnedTTL time.Duration `json:"priority_timeout,omitempty"`

	unknown map[string]json.RawMessage
}

type consumerConfigFields ConsumerConfig

var knownConsumerKeys = jsonKeys(consumerConfigFields{})

// UnmarshalJSON decodes c and keeps the keys it has no field for.
func (c *ConsumerConfig) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*consumerConfigFields)(c)); err != nil {
		return err
	}
	c.unknown = unknownKeys(b, knownConsumerKeys)
	return nil
}

// MarshalJSON encodes c with the unknown keys it was read with.
func (c ConsumerConfig) MarshalJSON() ([]byte, error) {
	return marshalWithUnknown((*consumerConfigFields)(&c), c.unknown)
}

// ConsumerInfo is a consumer's configuration and state.
type ConsumerInfo struct {
	Stream         string               `json:"stream_name"`
	Name           string               `json:"name"`
	Created        time.Time            `json:"created"`
	Config         ConsumerConfig       `json:"config"`
	Delivered      SequenceInfo         `json:"delivered"`
	AckFloor       SequenceInfo         `json:"ack_floor"`
	NumAckPending  int                  `json:"num_ack_pending"`
	NumRedelivered int                  `json:"num_redelivered"`
	NumWaiting     int                  `json:"num_waiting"`
	NumPending     uint64               `json:"num_pending"`
	Cluster        *ClusterInfo         `json:"cluster,omitempty"`
	PushBound      bool                 `json:"push_bound,omitempty"`
	Paused         bool                 `json:"paused,omitempty"`
	PauseRemaining time.Duration        `json:"pause_remaining,omitempty"`
	PriorityGroups []PriorityGroupState `json:"priority_groups,omitempty"`
	Timestamp      time.Time            `json:"ts"`
}

// SequenceInfo is a consumer position: consumer and stream sequences and
// when it last moved.
type SequenceInfo struct {
	Consumer   uint64     `json:"consumer_seq"`
	Stream     uint64     `json:"stream_seq"`
	LastActive *time.Time `json:"last_active,omitempty"`
}

// PriorityGroupState is a priority group's pinned client, if any.
type PriorityGroupState struct {
	Group          string    `json:"group"`
	PinnedClientID string    `json:"pinned_client_id,omitempty"`
	PinnedTS       time.Time `json:"pinned_ts,omitempty"`
}
