package js

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// PubAck is the server's acknowledgement of a stored message.
type PubAck struct {
	Stream   string `json:"stream"`
	Sequence uint64 `json:"seq"`
	// Duplicate: the stream already held a message with this MsgID within
	// its duplicate window, and stored nothing new. After a republish it
	// means an earlier attempt was stored.
	Duplicate bool   `json:"duplicate,omitempty"`
	Domain    string `json:"domain,omitempty"`
	// Value is a counter's total after this increment (Nats-Incr), a
	// decimal integer of any size.
	Value string `json:"val,omitempty"`
	// BatchID and BatchSize acknowledge a committed atomic batch.
	BatchID   string `json:"batch,omitempty"`
	BatchSize int    `json:"count,omitempty"`
}

type pubAckResponse struct {
	PubAck
	Error *APIError `json:"error,omitempty"`
}

// ackParser decodes PubAcks. Its fast path reads the flat object the
// server sends without allocating when the stream name repeats; anything
// else (an error, escapes, nesting) goes through encoding/json.
type ackParser struct {
	stream string // last stream name, reused while it repeats
}

// parse decodes data into ack, or returns the *APIError the server sent or
// ErrInvalidResponse.
func (p *ackParser) parse(data []byte, ack *PubAck) error {
	if ok := p.fast(data, ack); ok {
		if ack.Stream == "" {
			return fmt.Errorf("%w: pub ack without a stream", ErrInvalidResponse)
		}
		return nil
	}
	var r pubAckResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%w: pub ack: %v", ErrInvalidResponse, err)
	}
	if r.Error != nil {
		return r.Error
	}
	if r.Stream == "" {
		return fmt.Errorf("%w: pub ack without a stream", ErrInvalidResponse)
	}
	*ack = r.PubAck
	return nil
}

// fast parses {"key":value,...} with string, unsigned integer and boolean
// values and no escapes. It reports false, leaving the work to
// encoding/json, on anything else.
func (p *ackParser) fast(b []byte, ack *PubAck) bool {
	*ack = PubAck{}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	for {
		key, j, ok := readString(b, i)
		if !ok {
			return false
		}
		if !exactField(key) && foldsToField(key) {
			// encoding/json matches keys case-insensitively: leave
			// "Stream" and the like to it rather than disagree.
			return false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			val, j, ok := readString(b, i)
			if !ok {
				return false
			}
			i = j
			switch string(key) {
			case "stream":
				if string(val) != p.stream {
					p.stream = string(val)
				}
				ack.Stream = p.stream
			case "domain":
				ack.Domain = string(val)
			case "val":
				ack.Value = string(val)
			case "batch":
				ack.BatchID = string(val)
			}
		case c >= '0' && c <= '9':
			j := i
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
				return false
			}
			n, err := strconv.ParseUint(string(b[i:j]), 10, 64)
			if err != nil {
				return false
			}
			i = j
			switch string(key) {
			case "seq":
				ack.Sequence = n
			case "count":
				if n > 1<<31 {
					return false
				}
				ack.BatchSize = int(n)
			}
		case c == 't' || c == 'f':
			v := c == 't'
			lit := "false"
			if v {
				lit = "true"
			}
			if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
				return false
			}
			i += len(lit)
			if string(key) == "duplicate" {
				ack.Duplicate = v
			}
		default:
			// "error" objects, null and anything nested.
			return false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipWS(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipWS(b, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// readString reads a JSON string without escapes at b[i], returning its
// contents and the index after the closing quote.
func readString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

var pubAckKeys = []string{"stream", "seq", "duplicate", "domain", "val", "batch", "count", "error"}

// exactField reports whether key is a PubAck key as the server spells it.
func exactField(key []byte) bool {
	switch string(key) {
	case "stream", "seq", "duplicate", "domain", "val", "batch", "count", "error":
		return true
	}
	return false
}

// foldsToField reports whether key matches a PubAck key only when case is
// ignored.
func foldsToField(key []byte) bool {
	for _, k := range pubAckKeys {
		if bytes.EqualFold(key, []byte(k)) {
			return true
		}
	}
	return false
}
