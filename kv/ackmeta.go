package kv

import "bytes"

// ackMeta is what a watch needs from a delivered message's ack subject
// (protocol-facts §2.7): stream and consumer sequences, the stored time
// and how many messages follow.
type ackMeta struct {
	streamSeq, consumerSeq uint64
	timestamp              int64
	pending                uint64
}

// parseAck reads both ack subject forms in place, without allocating:
// v1 $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
// and v2 $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.…].
func parseAck(s []byte) (ackMeta, bool) {
	const pre = "$JS.ACK."
	if len(s) < len(pre) || string(s[:len(pre)]) != pre {
		return ackMeta{}, false
	}
	// The numbers are the last tokens of the v1 form and tokens 7 to 10 of
	// the v2 form, which may go on after them: count the tokens (a vector
	// count), then read the numbers backwards from where they end, leaving
	// the stream and consumer names unscanned. A token-by-token walk of the
	// whole subject was a sixth of a watch's CPU.
	n := bytes.Count(s, []byte{'.'}) + 1
	var after int // tokens after the pending count
	switch {
	case n == 9 || n == 11:
	case n > 11:
		after = n - 11
	default:
		return ackMeta{}, false
	}
	end := len(s)
	for ; after > 0; after-- {
		end = bytes.LastIndexByte(s[:end], '.')
	}
	var f [4]uint64 // pending, timestamp, consumer and stream sequences
	for i := range f {
		dot := bytes.LastIndexByte(s[:end], '.')
		v, ok := parseUint(s[dot+1 : end])
		if !ok {
			return ackMeta{}, false
		}
		f[i], end = v, dot
	}
	if f[1] > 1<<63-1 {
		return ackMeta{}, false
	}
	return ackMeta{streamSeq: f[3], consumerSeq: f[2], timestamp: int64(f[1]), pending: f[0]}, true
}

// parseUint parses a decimal uint64 from bytes without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
