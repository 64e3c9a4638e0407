package js

import (
	"encoding/json"
	"time"
)

// RetentionPolicy decides when a stream drops messages.
type RetentionPolicy string

// Retention policies, as the server spells them.
const (
	LimitsPolicy    RetentionPolicy = "limits"
	InterestPolicy  RetentionPolicy = "interest"
	WorkQueuePolicy RetentionPolicy = "workqueue"
)

// DiscardPolicy decides what a full stream drops.
type DiscardPolicy string

// Discard policies.
const (
	DiscardOld DiscardPolicy = "old"
	DiscardNew DiscardPolicy = "new"
)

// StorageType is where a stream keeps its messages.
type StorageType string

// Storage types.
const (
	FileStorage   StorageType = "file"
	MemoryStorage StorageType = "memory"
)

// Compression is a stream's on-disk compression.
type Compression string

// Compression algorithms.
const (
	NoCompression Compression = "none"
	S2Compression Compression = "s2"
)

// PersistMode is how a file stream flushes writes (2.12).
type PersistMode string

// Persist modes.
const (
	PersistDefault PersistMode = "default"
	PersistAsync   PersistMode = "async"
)

// StreamConfig is a stream's configuration: every key of nats-server
// 2.15's StreamConfig. Zero values are left to the server's defaults.
//
// Keys this client does not know (from a newer server) are kept when a
// config read from the server is unmarshaled, and written back when it is
// marshaled, so read-modify-write through Update loses nothing.
type StreamConfig struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Subjects             []string        `json:"subjects,omitempty"`
	Retention            RetentionPolicy `json:"retention,omitempty"`
	MaxConsumers         int             `json:"max_consumers,omitempty"`
	MaxMsgs              int64           `json:"max_msgs,omitempty"`
	MaxBytes             int64           `json:"max_bytes,omitempty"`
	MaxAge               time.Duration   `json:"max_age,omitempty"`
	MaxMsgsPerSubject    int64           `json:"max_msgs_per_subject,omitempty"`
	MaxMsgSize           int32           `json:"max_msg_size,omitempty"`
	Discard              DiscardPolicy   `json:"discard,omitempty"`
	DiscardNewPerSubject bool            `json:"discard_new_per_subject,omitempty"`
	Storage              StorageType     `json:"storage,omitempty"`
	Replicas             int             `json:"num_replicas,omitempty"`
	NoAck                bool            `json:"no_ack,omitempty"`
	DuplicateWindow      time.Duration   `json:"duplicate_window,omitempty"`
	Compression          Compression     `json:"compression,omitempty"`
	FirstSeq             uint64          `json:"first_seq,omitempty"`

	Placement        *Placement        `json:"placement,omitempty"`
	Mirror           *StreamSource     `json:"mirror,omitempty"`
	Sources          []*StreamSource   `json:"sources,omitempty"`
	SubjectTransform *SubjectTransform `json:"subject_transform,omitempty"`
	RePublish        *RePublish        `json:"republish,omitempty"`

	AllowDirect  bool `json:"allow_direct,omitempty"`
	MirrorDirect bool `json:"mirror_direct,omitempty"`
	Sealed       bool `json:"sealed,omitempty"`
	DenyDelete   bool `json:"deny_delete,omitempty"`
	DenyPurge    bool `json:"deny_purge,omitempty"`
	AllowRollup  bool `json:"allow_rollup_hdrs,omitempty"`

	ConsumerLimits         *ConsumerLimits   `json:"consumer_limits,omitempty"`
	AllowMsgTTL            bool              `json:"allow_msg_ttl,omitempty"`
	SubjectDeleteMarkerTTL time.Duration     `json:"subject_delete_marker_ttl,omitempty"`
	AllowMsgCounter        bool              `json:"allow_msg_counter,omitempty"`
	AllowAtomicPublish     bool              `json:"allow_atomic,omitempty"`
	AllowMsgSchedules      bool              `json:"allow_msg_schedules,omitempty"`
	AllowBatchPublish      bool              `json:"allow_batched,omitempty"`
	PersistMode            PersistMode       `json:"persist_mode,omitempty"`
	Metadata               map[string]string `json:"metadata,omitempty"`

	// unknown holds the keys of a server reply this client has no field
	// for, written back unchanged by MarshalJSON.
	unknown map[string]json.RawMessage
}

// Placement asks for a cluster and server tags.
type Placement struct {
	Cluster   string   `json:"cluster,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Preferred string   `json:"preferred,omitempty"`
}

// StreamSource is a mirror or a source of a stream.
type StreamSource struct {
	Name              string             `json:"name"`
	OptStartSeq       uint64             `json:"opt_start_seq,omitempty"`
	OptStartTime      *time.Time         `json:"opt_start_time,omitempty"`
	FilterSubject     string             `json:"filter_subject,omitempty"`
	SubjectTransforms []SubjectTransform `json:"subject_transforms,omitempty"`
	External          *ExternalStream    `json:"external,omitempty"`
}

// ExternalStream names the API and deliver prefixes of a stream in another
// account or domain.
type ExternalStream struct {
	APIPrefix     string `json:"api"`
	DeliverPrefix string `json:"deliver,omitempty"`
}

// SubjectTransform maps subjects matching Source to Destination.
type SubjectTransform struct {
	Source      string `json:"src"`
	Destination string `json:"dest"`
}

// RePublish republishes stored messages matching Source to Destination
// (ADR-28).
type RePublish struct {
	Source      string `json:"src,omitempty"`
	Destination string `json:"dest"`
	HeadersOnly bool   `json:"headers_only,omitempty"`
}

// ConsumerLimits are defaults and caps for the stream's consumers.
type ConsumerLimits struct {
	InactiveThreshold time.Duration `json:"inactive_threshold,omitempty"`
	MaxAckPending     int           `json:"max_ack_pending,omitempty"`
}

// streamConfigFields is StreamConfig without its methods, for the default
// JSON coding.
type streamConfigFields StreamConfig

// knownStreamKeys are the JSON keys StreamConfig has fields for.
var knownStreamKeys = jsonKeys(streamConfigFields{})

// UnmarshalJSON decodes c and keeps the keys it has no field for.
func (c *StreamConfig) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*streamConfigFields)(c)); err != nil {
		return err
	}
	c.unknown = unknownKeys(b, knownStreamKeys)
	return nil
}

// MarshalJSON encodes c with the unknown keys it was read with.
func (c StreamConfig) MarshalJSON() ([]byte, error) {
	return marshalWithUnknown((*streamConfigFields)(&c), c.unknown)
}
