package codec

import (
	"io"
)

// Reader decodes the operations a server sends (INFO, MSG, HMSG, PING, PONG,
// +OK, -ERR) from a byte stream.
//
// Next returns the Reader's own *Op, reused for every operation; the Op and
// every slice in it alias the Reader's buffer and are valid only until the
// next call to Next, Reset or Release. Copy what must outlive that.
//
// Framing follows the server's parser: operation names are matched without
// regard to case, arguments are separated by runs of spaces or tabs, and a
// control line may end in "\r\n" or a bare "\n" (the server accepts both and
// always sends "\r\n"; accepting the bare form costs nothing, since every
// argument is still checked). A payload is skipped by its declared length,
// never scanned, and must be followed by exactly "\r\n".
//
// Nothing a peer sends can make a Reader panic, loop without reading, or hold
// more memory than its Limits allow: an over-long line or a payload beyond
// the max payload fails with a *ProtocolError before any buffer of that size
// is requested. Protocol errors are sticky; errors of the source are
// returned once the buffered bytes are used up (io.EOF between operations,
// io.ErrUnexpectedEOF inside one).
//
// A Reader is not safe for concurrent use.
type Reader struct {
	s  stream
	op Op

	maxLine    int
	maxPayload int
	maxInfo    int
}

// NewReader returns a Reader over src with a pooled buffer. Zero fields of
// l take their defaults (see Limits). Call Release when done with it.
func NewReader(src io.Reader, l Limits) *Reader {
	l = l.withDefaults()
	r := &Reader{maxLine: l.MaxControlLine, maxPayload: l.MaxPayload, maxInfo: l.MaxInfo}
	r.s.init(src)
	return r
}

// SetMaxPayload sets the largest payload accepted from now on, normally the
// max_payload of the server's INFO. n <= 0 restores DefaultMaxPayload; a
// larger n than MaxLimit is lowered to it.
func (r *Reader) SetMaxPayload(n int) {
	r.maxPayload = limit(n, DefaultMaxPayload)
}

// Buffered returns how many bytes have been read from the source but not yet
// returned as operations.
func (r *Reader) Buffered() int { return r.s.w - r.s.r }

// Reset makes r read a new stream from src, keeping its limits and its buffer
// (shrunk back to the default size). It also revives a released Reader.
// Ops returned before are invalid afterwards.
func (r *Reader) Reset(src io.Reader) { r.s.reset(src) }

// Release returns the buffer to its pool. Ops returned before are invalid
// afterwards, and Next returns ErrReleased until Reset.
func (r *Reader) Release() { r.s.release() }

// Next decodes the next operation. The returned *Op is the Reader's own and,
// with all its slices, is valid only until the next call to Next, Reset or
// Release. Errors: a *ProtocolError (sticky) for bytes that break the
// protocol or the limits, the source's error once no whole operation is left
// in the buffer, or ErrReleased.
func (r *Reader) Next() (*Op, error) {
	s := &r.s
	if s.err != nil {
		return nil, s.err
	}
	s.consumed()
	for {
		start := s.r
		buf := s.buf[start:s.w]
		nl := indexNL(buf)
		if nl < 0 {
			if err := s.moreLine(r.maxLine, r.maxInfo); err != nil {
				return nil, r.lineErr(err)
			}
			continue
		}
		line := buf[:nl]
		if nl > 0 && line[nl-1] == '\r' {
			line = line[:nl-1]
		}
		if len(line) == 0 {
			return nil, r.fail(start, "", ErrUnknownOp, "empty control line")
		}
		if len(line) > r.maxLine && !hasOpName(line, "INFO") {
			return nil, r.fail(start, "", ErrControlLineTooLong, "control line of "+itoa(len(line))+" bytes exceeds the limit of "+itoa(r.maxLine))
		}
		body := nl + 1 // offset of the payload within buf
		switch lower(line[0]) {
		case 'm':
			if !hasOpName(line, "MSG") {
				break
			}
			var f fields
			var size int
			var reply []byte
			args := line[3:]
			switch splitFields(args, &f) {
			case 3:
				size = parseSize(f.get(args, 2))
			case 4:
				reply = f.get(args, 2)
				size = parseSize(f.get(args, 3))
			default:
				return nil, r.fail(start, "MSG", ErrMalformed, "want 3 or 4 arguments")
			}
			if size < 0 {
				return nil, r.fail(start, "MSG", ErrMalformed, "invalid size")
			}
			if size > r.maxPayload {
				return nil, r.tooLarge(start, "MSG", size)
			}
			total := body + size + 2
			if len(buf) < total {
				if err := s.fill(total); err != nil {
					return nil, err
				}
				continue // the bytes may have moved: decode the line again
			}
			if buf[body+size] != '\r' || buf[body+size+1] != '\n' {
				return nil, r.fail(start, "MSG", ErrMalformed, "payload not followed by CRLF")
			}
			op := &r.op
			op.Kind = OpMsg
			op.Subject = f.get(args, 0)
			op.SID = f.get(args, 1)
			op.Reply = reply
			op.Payload = buf[body : body+size : body+size]
			if op.Header != nil || op.Text != nil {
				op.Header, op.Text = nil, nil
			}
			s.r = start + total
			return &r.op, nil

		case 'h':
			if !hasOpName(line, "HMSG") {
				break
			}
			var f fields
			var hdr, size int
			var reply []byte
			args := line[4:]
			switch splitFields(args, &f) {
			case 4:
				hdr, size = parseSize(f.get(args, 2)), parseSize(f.get(args, 3))
			case 5:
				reply = f.get(args, 2)
				hdr, size = parseSize(f.get(args, 3)), parseSize(f.get(args, 4))
			default:
				return nil, r.fail(start, "HMSG", ErrMalformed, "want 4 or 5 arguments")
			}
			if hdr < 0 || size < 0 {
				return nil, r.fail(start, "HMSG", ErrMalformed, "invalid size")
			}
			if hdr > size {
				return nil, r.fail(start, "HMSG", ErrMalformed, "header size "+itoa(hdr)+" exceeds total size "+itoa(size))
			}
			if size > r.maxPayload {
				return nil, r.tooLarge(start, "HMSG", size)
			}
			total := body + size + 2
			if len(buf) < total {
				if err := s.fill(total); err != nil {
					return nil, err
				}
				continue
			}
			if buf[body+size] != '\r' || buf[body+size+1] != '\n' {
				return nil, r.fail(start, "HMSG", ErrMalformed, "payload not followed by CRLF")
			}
			h := body + hdr
			r.op = Op{
				Kind:    OpHMsg,
				Subject: f.get(args, 0),
				SID:     f.get(args, 1),
				Reply:   reply,
				Header:  buf[body:h:h],
				Payload: buf[h : body+size : body+size],
			}
			s.r = start + total
			return &r.op, nil

		case 'p':
			var k OpKind
			if hasOpName(line, "PING") {
				k = OpPing
			} else if hasOpName(line, "PONG") {
				k = OpPong
			} else {
				break
			}
			if !allSeps(line[4:]) {
				return nil, r.fail(start, k.String(), ErrMalformed, "unexpected arguments")
			}
			r.op = Op{Kind: k}
			s.r = start + body
			return &r.op, nil

		case 'i':
			if !hasOpName(line, "INFO") {
				break
			}
			if len(line) > r.maxInfo {
				return nil, r.fail(start, "INFO", ErrInfoTooLarge, "info line of "+itoa(len(line))+" bytes exceeds the limit of "+itoa(r.maxInfo))
			}
			text := trimSeps(line[4:])
			if len(text) == 0 {
				return nil, r.fail(start, "INFO", ErrMalformed, "missing json")
			}
			r.op = Op{Kind: OpInfo, Text: text}
			s.r = start + body
			return &r.op, nil

		case '+':
			if !hasOpName(line, "+OK") {
				break
			}
			if !allSeps(line[3:]) {
				return nil, r.fail(start, "+OK", ErrMalformed, "unexpected arguments")
			}
			r.op = Op{Kind: OpOK}
			s.r = start + body
			return &r.op, nil

		case '-':
			if !hasOpName(line, "-ERR") {
				break
			}
			r.op = Op{Kind: OpErr, Text: errText(line[4:])}
			s.r = start + body
			return &r.op, nil
		}
		return nil, r.fail(start, "", ErrUnknownOp, "unknown operation "+quoteSnippet(line))
	}
}

// errText returns the text of -ERR without the single quotes the server
// wraps it in (keeping any quotes inside it), or the trimmed argument when
// it is not quoted.
func errText(args []byte) []byte {
	t := trimSeps(args)
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' {
		return t[1 : len(t)-1 : len(t)-1]
	}
	return t
}

func (r *Reader) fail(start int, op string, kind error, reason string) error {
	r.s.err = &ProtocolError{Op: op, Reason: reason, Offset: r.s.offset(start), Kind: kind}
	return r.s.err
}

func (r *Reader) tooLarge(start int, op string, size int) error {
	return r.fail(start, op, ErrPayloadTooLarge, "payload of "+itoa(size)+" bytes exceeds the limit of "+itoa(r.maxPayload))
}

// lineErr reports an incomplete control line that moreLine gave up on.
func (r *Reader) lineErr(err error) error {
	if err != errLineTooLong {
		return err
	}
	s := &r.s
	if s.w-s.r >= 5 && hasOpName(s.buf[s.r:s.r+5], "INFO") {
		return r.fail(s.r, "INFO", ErrInfoTooLarge, "info line exceeds the limit of "+itoa(r.maxInfo)+" bytes")
	}
	return r.fail(s.r, "", ErrControlLineTooLong, "control line exceeds the limit of "+itoa(r.maxLine)+" bytes")
}
