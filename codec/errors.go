package codec

import (
	"errors"
	"strconv"
)

// Kinds of protocol errors. Every *ProtocolError wraps exactly one of them, so
// callers can branch with errors.Is without parsing messages.
var (
	// ErrControlLineTooLong: a control line (other than INFO) is longer than
	// Limits.MaxControlLine.
	ErrControlLineTooLong = errors.New("codec: control line too long")
	// ErrInfoTooLarge: an INFO line is longer than Limits.MaxInfo.
	ErrInfoTooLarge = errors.New("codec: info too large")
	// ErrPayloadTooLarge: a MSG, HMSG, PUB or HPUB declares more bytes than
	// the max payload. It is reported before any buffer of that size exists.
	ErrPayloadTooLarge = errors.New("codec: payload too large")
	// ErrUnknownOp: the control line does not start with an operation this
	// decoder knows.
	ErrUnknownOp = errors.New("codec: unknown operation")
	// ErrMalformed: a known operation with bad arguments (missing, extra,
	// negative or overflowing numbers, header size beyond total size) or
	// with bytes other than CRLF after its payload.
	ErrMalformed = errors.New("codec: malformed operation")
)

// ErrMalformedHeader is wrapped by the *HeaderError values of ParseHeader and
// HeaderView.Validate.
var ErrMalformedHeader = errors.New("codec: malformed header")

// ErrReleased is returned by Next after Release.
var ErrReleased = errors.New("codec: reader released")

// ProtocolError reports bytes that break the NATS protocol. It is fatal for
// the stream it came from: the position of the next operation is unknown, so
// a Reader returns the same error from every later Next.
type ProtocolError struct {
	// Op is the operation name in upper case ("MSG", "HMSG", "INFO", ...), or
	// "" when the operation itself is unknown.
	Op string
	// Reason says what is wrong, in lower case.
	Reason string
	// Offset is the position of the operation's first byte in the stream
	// (for Reader and ClientReader), or of the offending byte in the input
	// of ParseInfo and ParseConnect.
	Offset int64
	// Kind is one of ErrControlLineTooLong, ErrInfoTooLarge,
	// ErrPayloadTooLarge, ErrUnknownOp or ErrMalformed; Unwrap returns it.
	Kind error
}

func (e *ProtocolError) Error() string {
	b := make([]byte, 0, 64+len(e.Reason))
	b = append(b, "codec: "...)
	if e.Op != "" {
		b = append(b, e.Op...)
		b = append(b, ' ')
	}
	b = append(b, "at offset "...)
	b = strconv.AppendInt(b, e.Offset, 10)
	b = append(b, ": "...)
	b = append(b, e.Reason...)
	return string(b)
}

// Unwrap returns the error's kind, so errors.Is(err, ErrPayloadTooLarge) and
// its siblings work.
func (e *ProtocolError) Unwrap() error { return e.Kind }

// HeaderError reports a malformed header block. It wraps ErrMalformedHeader.
type HeaderError struct {
	// Offset is the position of the offending byte within the header block.
	Offset int
	// Reason says what is wrong, in lower case.
	Reason string
}

func (e *HeaderError) Error() string {
	return "codec: malformed header at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Unwrap returns ErrMalformedHeader.
func (e *HeaderError) Unwrap() error { return ErrMalformedHeader }

// quoteSnippet renders at most 32 bytes of hostile input for an error message.
func quoteSnippet(b []byte) string {
	const max = 32
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
