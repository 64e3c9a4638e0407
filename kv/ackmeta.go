package kv

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
	var tok [11][]byte
	n, start := 2, len(pre)
	for i := start; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if n < len(tok) {
			tok[n] = s[start:i]
		}
		n++
		start = i + 1
	}
	var base int
	switch {
	case n == 9:
		base = 4
	case n >= 11:
		base = 6
	default:
		return ackMeta{}, false
	}
	var m ackMeta
	var ok1, ok2, ok3, ok4 bool
	m.streamSeq, ok1 = parseUint(tok[base+1])
	m.consumerSeq, ok2 = parseUint(tok[base+2])
	ts, ok3 := parseUint(tok[base+3])
	m.pending, ok4 = parseUint(tok[base+4])
	if !ok1 || !ok2 || !ok3 || !ok4 || ts > 1<<63-1 {
		return ackMeta{}, false
	}
	m.timestamp = int64(ts)
	return m, true
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
