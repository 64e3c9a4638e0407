package kv

import (
	"strings"
	"time"

	"github.com/starling-nats/starling/js"
)

// Status is a bucket's configuration and state, read from its stream
// info.
type Status struct {
	Bucket string
	// Values counts the entries stored, history and markers included.
	Values uint64
	// History is how many values are kept per key.
	History int64
	// TTL is how long a value lives; 0 is forever.
	TTL time.Duration
	// LimitMarkerTTL is how long the markers of values removed by TTL
	// live; 0 when the bucket places none.
	LimitMarkerTTL time.Duration
	// Bytes is the bucket's size on the server.
	Bytes        uint64
	Compressed   bool
	Storage      js.StorageType
	Replicas     int
	BackingStore string // "JetStream"
	Metadata     map[string]string
	// Info is the stream info the status was read from.
	Info *js.StreamInfo
}

func newStatus(si *js.StreamInfo) *Status {
	c := &si.Config
	return &Status{
		Bucket:         strings.TrimPrefix(c.Name, streamPrefix),
		Values:         si.State.Msgs,
		History:        c.MaxMsgsPerSubject,
		TTL:            c.MaxAge,
		LimitMarkerTTL: c.SubjectDeleteMarkerTTL,
		Bytes:          si.State.Bytes,
		Compressed:     c.Compression == js.S2Compression,
		Storage:        c.Storage,
		Replicas:       c.Replicas,
		BackingStore:   "JetStream",
		Metadata:       c.Metadata,
		Info:           si,
	}
}
