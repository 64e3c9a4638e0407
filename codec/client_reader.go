package codec

import "io"

// ClientOp is one operation sent by a client, as decoded by ClientReader.Next.
//
// Like Op, it is borrowed: ClientReader returns its own ClientOp every time,
// and its slices alias the reader's buffer, valid only until the next call to
// Next, Reset or Release. The slices are capped at their length.
type ClientOp struct {
	Kind OpKind // OpConnect, OpPub, OpHPub, OpSub, OpUnsub, OpPing or OpPong
	// Subject of PUB, HPUB and SUB.
	Subject []byte
	// Reply of PUB and HPUB; nil when there is none.
	Reply []byte
	// Queue of SUB; nil when there is none.
	Queue []byte
	// SID of SUB and UNSUB: the raw token (ParseSID converts it).
	SID []byte
	// Max of UNSUB: the message count after which the server unsubscribes;
	// 0 when absent.
	Max int
	// Header is the HPUB header block as sent; nil for PUB.
	Header []byte
	// Payload of PUB and HPUB, without the header block; empty, not nil,
	// for an empty message.
	Payload []byte
	// Text is the JSON of CONNECT (see ParseConnect).
	Text []byte
}

// HeaderView returns o.Header as a HeaderView; it does not copy.
func (o *ClientOp) HeaderView() HeaderView { return HeaderView(o.Header) }

// ClientReader decodes the operations a client sends (CONNECT, PUB, HPUB,
// SUB, UNSUB, PING, PONG): the server side of the protocol, for fake servers,
// proxies and tests. It follows the same rules as Reader: a reused ClientOp
// whose slices are valid until the next Next, case-insensitive operation
// names, spaces or tabs between arguments, "\r\n" or a bare "\n" ending a
// control line, exactly "\r\n" after a payload, and limits checked before any
// buffer grows (the CONNECT line is bounded by MaxControlLine, as in the
// server; MaxInfo is not used).
//
// A ClientReader is not safe for concurrent use.
type ClientReader struct {
	s  stream
	op ClientOp

	maxLine    int
	maxPayload int
}

// NewClientReader returns a ClientReader over src with a pooled buffer. Zero
// fields of l take their defaults. Call Release when done with it.
func NewClientReader(src io.Reader, l Limits) *ClientReader {
	l = l.withDefaults()
	r := &ClientReader{maxLine: l.MaxControlLine, maxPayload: l.MaxPayload}
	r.s.init(src)
	return r
}

// SetMaxPayload sets the largest PUB or HPUB payload accepted from now on.
// n <= 0 restores DefaultMaxPayload; a larger n than MaxLimit is lowered
// to it.
func (r *ClientReader) SetMaxPayload(n int) {
	r.maxPayload = limit(n, DefaultMaxPayload)
}

// Buffered returns how many bytes have been read from the source but not yet
// returned as operations.
func (r *ClientReader) Buffered() int { return r.s.w - r.s.r }

// Reset makes r read a new stream from src, keeping its limits and buffer. It
// also revives a released ClientReader.
func (r *ClientReader) Reset(src io.Reader) { r.s.reset(src) }

// Release returns the buffer to its pool; Next returns ErrReleased until
// Reset.
func (r *ClientReader) Release() { r.s.release() }

// Next decodes the next operation. The returned *ClientOp is the reader's
// own and, with all its slices, is valid only until the next call to Next,
// Reset or Release. Errors are as for Reader.Next.
func (r *ClientReader) Next() (*ClientOp, error) {
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
			if err := s.moreLine(r.maxLine, 0); err != nil {
				if err == errLineTooLong {
					return nil, r.fail(s.r, "", ErrControlLineTooLong, "control line exceeds the limit of "+itoa(r.maxLine)+" bytes")
				}
				return nil, err
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
		if len(line) > r.maxLine {
			return nil, r.fail(start, "", ErrControlLineTooLong, "control line of "+itoa(len(line))+" bytes exceeds the limit of "+itoa(r.maxLine))
		}
		body := nl + 1
		var f fields
		switch lower(line[0]) {
		case 'p':
			switch {
			case hasOpName(line, "PUB"):
				var reply []byte
				var size int
				args := line[3:]
				switch splitFields(args, &f) {
				case 2:
					size = parseSize(f.get(args, 1))
				case 3:
					reply = f.get(args, 1)
					size = parseSize(f.get(args, 2))
				default:
					return nil, r.fail(start, "PUB", ErrMalformed, "want 2 or 3 arguments")
				}
				if size < 0 {
					return nil, r.fail(start, "PUB", ErrMalformed, "invalid size")
				}
				if size > r.maxPayload {
					return nil, r.tooLarge(start, "PUB", size)
				}
				total := body + size + 2
				if len(buf) < total {
					if err := s.fill(total); err != nil {
						return nil, err
					}
					continue
				}
				if buf[body+size] != '\r' || buf[body+size+1] != '\n' {
					return nil, r.fail(start, "PUB", ErrMalformed, "payload not followed by CRLF")
				}
				r.op = ClientOp{Kind: OpPub, Subject: f.get(args, 0), Reply: reply, Payload: buf[body : body+size : body+size]}
				s.r = start + total
				return &r.op, nil
			case hasOpName(line, "PING"):
				return r.simple(start, body, line, OpPing)
			case hasOpName(line, "PONG"):
				return r.simple(start, body, line, OpPong)
			}

		case 'h':
			if !hasOpName(line, "HPUB") {
				break
			}
			var reply []byte
			var hdr, size int
			args := line[4:]
			switch splitFields(args, &f) {
			case 3:
				hdr, size = parseSize(f.get(args, 1)), parseSize(f.get(args, 2))
			case 4:
				reply = f.get(args, 1)
				hdr, size = parseSize(f.get(args, 2)), parseSize(f.get(args, 3))
			default:
				return nil, r.fail(start, "HPUB", ErrMalformed, "want 3 or 4 arguments")
			}
			if hdr < 0 || size < 0 {
				return nil, r.fail(start, "HPUB", ErrMalformed, "invalid size")
			}
			if hdr > size {
				return nil, r.fail(start, "HPUB", ErrMalformed, "header size "+itoa(hdr)+" exceeds total size "+itoa(size))
			}
			if size > r.maxPayload {
				return nil, r.tooLarge(start, "HPUB", size)
			}
			total := body + size + 2
			if len(buf) < total {
				if err := s.fill(total); err != nil {
					return nil, err
				}
				continue
			}
			if buf[body+size] != '\r' || buf[body+size+1] != '\n' {
				return nil, r.fail(start, "HPUB", ErrMalformed, "payload not followed by CRLF")
			}
			h := body + hdr
			r.op = ClientOp{Kind: OpHPub, Subject: f.get(args, 0), Reply: reply,
				Header: buf[body:h:h], Payload: buf[h : body+size : body+size]}
			s.r = start + total
			return &r.op, nil

		case 's':
			if !hasOpName(line, "SUB") {
				break
			}
			var queue, sid []byte
			args := line[3:]
			switch splitFields(args, &f) {
			case 2:
				sid = f.get(args, 1)
			case 3:
				queue = f.get(args, 1)
				sid = f.get(args, 2)
			default:
				return nil, r.fail(start, "SUB", ErrMalformed, "want 2 or 3 arguments")
			}
			r.op = ClientOp{Kind: OpSub, Subject: f.get(args, 0), Queue: queue, SID: sid}
			s.r = start + body
			return &r.op, nil

		case 'u':
			if !hasOpName(line, "UNSUB") {
				break
			}
			max := 0
			args := line[5:]
			switch splitFields(args, &f) {
			case 1:
			case 2:
				if max = parseSize(f.get(args, 1)); max < 0 {
					return nil, r.fail(start, "UNSUB", ErrMalformed, "invalid max")
				}
			default:
				return nil, r.fail(start, "UNSUB", ErrMalformed, "want 1 or 2 arguments")
			}
			r.op = ClientOp{Kind: OpUnsub, SID: f.get(args, 0), Max: max}
			s.r = start + body
			return &r.op, nil

		case 'c':
			if !hasOpName(line, "CONNECT") {
				break
			}
			text := trimSeps(line[7:])
			if len(text) == 0 {
				return nil, r.fail(start, "CONNECT", ErrMalformed, "missing json")
			}
			r.op = ClientOp{Kind: OpConnect, Text: text}
			s.r = start + body
			return &r.op, nil
		}
		return nil, r.fail(start, "", ErrUnknownOp, "unknown operation "+quoteSnippet(line))
	}
}

func (r *ClientReader) simple(start, body int, line []byte, k OpKind) (*ClientOp, error) {
	if !allSeps(line[4:]) {
		return nil, r.fail(start, k.String(), ErrMalformed, "unexpected arguments")
	}
	r.op = ClientOp{Kind: k}
	r.s.r = start + body
	return &r.op, nil
}

func (r *ClientReader) fail(start int, op string, kind error, reason string) error {
	r.s.err = &ProtocolError{Op: op, Reason: reason, Offset: r.s.offset(start), Kind: kind}
	return r.s.err
}

func (r *ClientReader) tooLarge(start int, op string, size int) error {
	return r.fail(start, op, ErrPayloadTooLarge, "payload of "+itoa(size)+" bytes exceeds the limit of "+itoa(r.maxPayload))
}
