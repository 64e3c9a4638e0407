package kv

import (
	"strconv"
	"time"
)

// Operation is what an entry records.
type Operation uint8

// Operations, as KV-Operation headers and server markers say.
const (
	// OpPut is a value.
	OpPut Operation = iota
	// OpDelete is a delete marker: KV-Operation: DEL, or a server marker
	// with Nats-Marker-Reason: Remove.
	OpDelete
	// OpPurge is a purge marker: KV-Operation: PURGE, or a server marker
	// with Nats-Marker-Reason MaxAge or Purge.
	OpPurge
)

func (o Operation) String() string {
	switch o {
	case OpPut:
		return "PUT"
	case OpDelete:
		return "DEL"
	case OpPurge:
		return "PURGE"
	}
	return "Operation(" + strconv.Itoa(int(o)) + ")"
}

// Header names a bucket's entries carry.
const (
	headerOperation    = "KV-Operation"
	headerMarkerReason = "Nats-Marker-Reason"
	headerRollup       = "Nats-Rollup"
	headerSequence     = "Nats-Sequence"
	headerTimeStamp    = "Nats-Time-Stamp"
	headerSubject      = "Nats-Subject"
	opDel              = "DEL"
	opPurge            = "PURGE"
)

// Entry is one revision of a key. An Entry is the caller's: the client
// keeps no reference to it.
type Entry struct {
	Bucket string
	Key    string
	// Value is empty for markers, and in watches with MetaOnly.
	Value []byte
	// Revision is the entry's stream sequence, unique in the bucket.
	Revision uint64
	// Created is when the server stored the entry.
	Created time.Time
	// Delta is how many newer entries matching the read or watch followed
	// this one when it was delivered (0: the latest). Gets leave it 0.
	Delta     uint64
	Operation Operation
	// MarkerReason is the server's reason for a marker it placed itself
	// ("MaxAge", "Purge", "Remove"); empty for entries written by clients.
	MarkerReason string
}

// operation decodes the KV-Operation and Nats-Marker-Reason header
// values.
func operation[T string | []byte](op, reason T) Operation {
	switch string(op) {
	case opDel:
		return OpDelete
	case opPurge:
		return OpPurge
	}
	switch string(reason) {
	case "":
		return OpPut
	case "Remove":
		return OpDelete
	default: // "MaxAge", "Purge" and reasons of later servers
		return OpPurge
	}
}

// markerReason returns the reason as a string without allocating for the
// reasons servers send.
func markerReason(r []byte) string {
	switch string(r) {
	case "":
		return ""
	case "MaxAge":
		return "MaxAge"
	case "Purge":
		return "Purge"
	case "Remove":
		return "Remove"
	}
	return string(r)
}

// parseTimeStamp reads Nats-Time-Stamp: RFC 3339 in current servers, Go's
// time.String form in older ones.
func parseTimeStamp(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
