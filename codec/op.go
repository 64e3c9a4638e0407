package codec

// OpKind names a protocol operation. The zero value is no operation.
type OpKind uint8

// Operations sent by the server, returned by Reader.
const (
	OpInfo OpKind = iota + 1 // INFO {json}
	OpMsg                    // MSG <subject> <sid> [reply] <#bytes>
	OpHMsg                   // HMSG <subject> <sid> [reply] <#hdr> <#total>
	OpPing                   // PING (also sent by clients)
	OpPong                   // PONG (also sent by clients)
	OpOK                     // +OK
	OpErr                    // -ERR '<text>'
)

// Operations sent by clients, returned by ClientReader (with OpPing, OpPong).
const (
	OpConnect OpKind = iota + 16 // CONNECT {json}
	OpPub                        // PUB <subject> [reply] <#bytes>
	OpHPub                       // HPUB <subject> [reply] <#hdr> <#total>
	OpSub                        // SUB <subject> [queue] <sid>
	OpUnsub                      // UNSUB <sid> [max]
)

// String returns the operation's name as it appears on the wire.
func (k OpKind) String() string {
	switch k {
	case OpInfo:
		return "INFO"
	case OpMsg:
		return "MSG"
	case OpHMsg:
		return "HMSG"
	case OpPing:
		return "PING"
	case OpPong:
		return "PONG"
	case OpOK:
		return "+OK"
	case OpErr:
		return "-ERR"
	case OpConnect:
		return "CONNECT"
	case OpPub:
		return "PUB"
	case OpHPub:
		return "HPUB"
	case OpSub:
		return "SUB"
	case OpUnsub:
		return "UNSUB"
	}
	return "OpKind(" + itoa(int(k)) + ")"
}

// Op is one operation sent by the server, as decoded by Reader.Next.
//
// An Op is borrowed: Next returns the Reader's own Op every time, and its
// slices alias the Reader's buffer. Both are valid only until the next call to
// Next (or Release); copy whatever must outlive that. The slices are capped at
// their length, so appending to one copies it instead of overwriting the
// bytes that follow.
type Op struct {
	Kind OpKind
	// Subject, SID and Reply are the MSG/HMSG arguments. SID is the raw token
	// (ParseSID converts it); Reply is nil when the message has none.
	Subject, SID, Reply []byte
	// Header is the HMSG header block, from "NATS/1.0" through the blank
	// line that ends it, exactly as the server sent it; nil for MSG. Wrap it
	// in a HeaderView to read it without allocating. The Reader does not
	// check its syntax: a malformed block published by some other client
	// must not kill this connection, so it is left to HeaderView (tolerant)
	// and ParseHeader (strict).
	Header []byte
	// Payload is the MSG/HMSG payload without the header block. It is empty,
	// never nil, for an empty message.
	Payload []byte
	// Text is the JSON of INFO, or the text between the quotes of -ERR.
	Text []byte
}

// HeaderView returns o.Header as a HeaderView; it does not copy.
func (o *Op) HeaderView() HeaderView { return HeaderView(o.Header) }

// ParseSID parses a subscription id token as a decimal uint64. It reports false
// for an empty token, a non-digit byte, or a value beyond the uint64 range.
func ParseSID(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, false
		}
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func itoa(n int) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}
