// Package codec encodes and decodes the NATS client protocol. It depends only
// on the standard library, so proxies, fake servers and other clients can use
// it alone; everything Starling sends or reads passes through it.
//
// # Encoding
//
// Encoders append one operation to a byte slice and return it, like
// strconv.AppendInt: AppendConnect, AppendPub, AppendHPub, AppendSub,
// AppendUnsub, AppendPing and AppendPong for the client side, and AppendInfo,
// AppendMsg, AppendHMsg, AppendOK and AppendErr for the server side (for fake
// servers and tests). They cannot fail and do not allocate when dst has room.
// They do not validate either: check subjects, queue names and headers once
// with ValidPublishSubject, ValidSubscribeSubject, ValidQueueName,
// ValidHeaderKey and ValidHeaderValue.
//
// # Decoding
//
// A Reader decodes what a server sends; a ClientReader what a client sends.
// Both are pull decoders over an io.Reader with a pooled buffer:
//
//	r := codec.NewReader(conn, codec.Limits{})
//	defer r.Release()
//	for {
//		op, err := r.Next()
//		...
//	}
//
// Next returns the decoder's own *Op (or *ClientOp), reused for every
// operation, and its slices alias the decoder's buffer: they are valid only
// until the next call to Next. Copy what must be kept. Building with the
// codecdebug tag overwrites consumed bytes, so a test that keeps a borrowed
// slice too long reads garbage instead of passing by luck.
//
// The decoders follow the server's framing rules (operation names in any
// case, spaces or tabs between arguments, payloads skipped by length and
// followed by CRLF) and enforce Limits: the length of control lines and INFO,
// and the declared payload size, which is checked before any buffer grows.
// Bad input gives a *ProtocolError whose Kind (ErrUnknownOp, ErrMalformed,
// ErrPayloadTooLarge, ErrControlLineTooLong, ErrInfoTooLarge) works with
// errors.Is; no input makes a decoder panic, spin or hold more memory than
// its limits.
//
// # Headers
//
// HeaderView reads a raw header block in place, without allocating: Status,
// Description, Get (case-sensitive, as ADR-4 specifies), GetFold, Values and
// All. Header is the owned, case-preserving form, written with Append and
// read with ParseHeader.
//
// # JSON
//
// ServerInfo (INFO) and ConnectOptions (CONNECT) carry the protocol's JSON
// fields. AppendInfo and AppendConnect write the JSON by hand without
// allocating; ParseInfo and ParseConnect use encoding/json.
package codec
