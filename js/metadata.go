package js

import (
	"time"
	"unsafe"
)

// MsgMetadata is what a consumer's ack subject says about a message.
// Stream, Consumer and Domain alias the ack subject: for a *Msg they live
// as long as the message; for a *BorrowedMsg they are valid only while
// the handler runs.
type MsgMetadata struct {
	Stream   string
	Consumer string
	// Domain is the JetStream domain; "" without one (v1 subjects, or
	// the "_" placeholder of v2 ones).
	Domain string
	// StreamSeq and ConsumerSeq are the message's stream sequence and
	// the consumer's delivery sequence.
	StreamSeq, ConsumerSeq uint64
	// NumDelivered is the delivery count: 1 on the first delivery.
	NumDelivered uint64
	// NumPending is how many messages the consumer had left after this
	// one: 0 means caught up.
	NumPending uint64
	// Timestamp is when the stream stored the message.
	Timestamp time.Time
}

// ackPrefix starts every consumer ack subject.
const ackPrefix = "$JS.ACK."

// ParseMetadata reads an ack subject in either of the forms the server
// uses (ADR-15): v1 with 9 tokens,
// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>,
// and v2 with 11 or more,
// $JS.ACK.<domain>.<acchash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.…],
// whose extra tokens are ignored. Anything else (10 tokens, fewer than 9,
// another prefix, an empty token, a number that is not one) is
// ErrNotJSMessage. It allocates nothing: the strings alias subject.
func ParseMetadata(subject string) (MsgMetadata, error) {
	return parseMetadata(subject)
}

// bytesView returns b as a string without copying. The string aliases b:
// metadata of a borrowed message is valid only during its handler.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func parseMetadata(s string) (MsgMetadata, error) {
	var md MsgMetadata
	if len(s) < len(ackPrefix) || s[:len(ackPrefix)] != ackPrefix {
		return md, ErrNotJSMessage
	}
	// starts[i] is where token i after "$JS.ACK." begins; only the first
	// ten matter, later ones of a v2 subject are ignored.
	var starts [11]int
	n := 0
	start := len(ackPrefix)
	for i := start; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if i == start {
			return md, ErrNotJSMessage // an empty token
		}
		if n < len(starts) {
			starts[n] = start
		}
		n++
		start = i + 1
	}
	tok := func(i int) string {
		end := len(s)
		if i+1 < n {
			end = starts[i+1] - 1
		}
		return s[starts[i]:end]
	}
	// n counts the tokens after "$JS.ACK.": 7 in v1, 9 or more in v2.
	var first int
	switch {
	case n == 7:
	case n >= 9:
		first = 2
		if d := tok(0); d != "_" {
			md.Domain = d
		}
	default:
		return md, ErrNotJSMessage
	}
	md.Stream = tok(first)
	md.Consumer = tok(first + 1)
	var nums [5]uint64
	for i := range nums {
		v, ok := parseUint(tok(first + 2 + i))
		if !ok {
			return MsgMetadata{}, ErrNotJSMessage
		}
		nums[i] = v
	}
	md.NumDelivered, md.StreamSeq, md.ConsumerSeq = nums[0], nums[1], nums[2]
	md.Timestamp = time.Unix(0, int64(nums[3]))
	md.NumPending = nums[4]
	return md, nil
}

// parseUint reads a decimal uint64; false on anything else or overflow.
func parseUint(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
