package core

import (
	"fmt"

	"github.com/starling-nats/starling/codec"
)

// Publish sends data to subject. It returns once the message is in the
// write buffer (Flush waits for the server); it allocates nothing.
//
// While the connection is down, the message is held in the reconnect
// buffer and sent after the next session's subscriptions, or refused with
// ErrReconnectBufferExceeded when it does not fit.
func (c *Conn) Publish(subject string, data []byte) error {
	return c.publish(subject, "", nil, nil, data)
}

// PublishRequest sends data to subject, asking for replies on reply.
func (c *Conn) PublishRequest(subject, reply string, data []byte) error {
	if reply != "" && !c.opts.skipSubjectValidation && !codec.ValidPublishSubject(reply) {
		return fmt.Errorf("%w: reply %q", ErrBadSubject, reply)
	}
	return c.publish(subject, reply, nil, nil, data)
}

// PublishMsg sends m: its subject, reply, headers and data.
func (c *Conn) PublishMsg(m *Msg) error {
	if m.Reply != "" && !c.opts.skipSubjectValidation && !codec.ValidPublishSubject(m.Reply) {
		return fmt.Errorf("%w: reply %q", ErrBadSubject, m.Reply)
	}
	return c.publishMsg(m.Subject, m)
}

func (c *Conn) publishMsg(subject string, m *Msg) error {
	return c.publish(subject, m.Reply, m.Header, nil, m.Data)
}

// respondBorrowed publishes a reply from a borrowed handler, which runs on
// the reader goroutine: the reader writes it before its next read from the
// socket, or after at most maxOwedOps more ops (see serve), often together
// with the replies to the other messages of the same read.
func (c *Conn) respondBorrowed(reply []byte, r *Msg, data []byte) error {
	var err error
	if r != nil {
		err = c.publishOp(borrowString(reply), r.Reply, r.Header, nil, r.Data, deferWrite|borrowedSubject)
	} else {
		err = c.publishOp(borrowString(reply), "", nil, nil, data, deferWrite|borrowedSubject)
	}
	if err == nil {
		c.readerOwes = true
	}
	return err
}

// checkHeader refuses keys and values the protocol forbids: a CR or LF in a
// value would let it forge header lines.
func checkHeader(h Header) error {
	for k, vs := range h {
		if !codec.ValidHeaderKey(k) {
			return fmt.Errorf("%w: key %q", ErrBadHeader, k)
		}
		for _, v := range vs {
			if !codec.ValidHeaderValue(v) {
				return fmt.Errorf("%w: value of %q", ErrBadHeader, k)
			}
		}
	}
	return nil
}

// publish encodes one PUB or HPUB into the write buffer. hdr (a map) or
// rawHdr (a wire header block) carries headers; both nil means PUB.
func (c *Conn) publish(subject, reply string, hdr Header, rawHdr, data []byte) error {
	return c.publishOp(subject, reply, hdr, rawHdr, data, 0)
}

// pubFlags change how publishOp treats one publish.
type pubFlags uint8

const (
	// deferWrite: do not wake the flusher; the caller writes the batch
	// itself right after (Request), or the reader does as it owes it
	// (replies from borrowed handlers).
	deferWrite pubFlags = 1 << iota
	// borrowedSubject: the subject aliases the read buffer, so it must not
	// be remembered as the last valid subject.
	borrowedSubject
)

// publishOp encodes one PUB or HPUB.
func (c *Conn) publishOp(subject, reply string, hdr Header, rawHdr, data []byte, flags pubFlags) error {
	// Checked here, not in PublishMsg, so that every way a header map gets
	// sent (RequestMsg, RequestManyMsg, RespondMsg) is covered.
	if len(hdr) > 0 {
		if err := checkHeader(hdr); err != nil {
			return err
		}
	}
	if len(subject)+len(reply) > c.opts.maxControlLine-48 && c.pubArgsTooLong(subject, reply, hdr, rawHdr, data) {
		return fmt.Errorf("%w: subject of %d bytes, reply of %d", ErrControlLineTooLong, len(subject), len(reply))
	}
	withHeaders := len(hdr) > 0 || len(rawHdr) > 0
	if withHeaders && !c.headers.Load() {
		return ErrHeadersNotSupported
	}
	w := &c.w
	w.mu.Lock()
	if !c.opts.skipSubjectValidation && !w.validated(subject, flags&borrowedSubject == 0) {
		w.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrBadSubject, subject)
	}
	// Room is reserved before the header is encoded: reserve may wait, and
	// while it waits another publisher may use the header scratch.
	if n := len(subject) + len(reply) + len(rawHdr) + len(data) + 48; w.state != wsConnected || len(w.buf)+n > w.limit {
		if err := w.reserve(n); err != nil {
			w.mu.Unlock()
			return err
		}
	}
	if len(hdr) > 0 {
		w.hdr = hdr.Append(w.hdr[:0])
		rawHdr = w.hdr
	}
	size := len(rawHdr) + len(data)
	if int64(size) > c.maxPayload.Load() {
		w.mu.Unlock()
		return ErrMaxPayload
	}
	if withHeaders {
		w.buf = codec.AppendHPub(w.buf, subject, reply, rawHdr, data)
	} else {
		w.buf = codec.AppendPub(w.buf, subject, reply, data)
	}
	w.outMsgs++
	w.outBytes += uint64(size)
	wake := flags&deferWrite == 0 && w.claimWake()
	w.mu.Unlock()
	if wake {
		w.sendWake()
	}
	return nil
}

// pubArgsTooLong reports whether the arguments of the PUB or HPUB line
// ("subject [reply] [#hdr] #total") exceed the server's max_control_line.
// Only called for long subjects, so the exact count costs nothing usually.
func (c *Conn) pubArgsTooLong(subject, reply string, hdr Header, rawHdr, data []byte) bool {
	n := len(subject) + 1
	if reply != "" {
		n += len(reply) + 1
	}
	hlen := len(rawHdr)
	if len(hdr) > 0 {
		hlen = len(hdr.Append(nil))
	}
	if hlen > 0 {
		n += decimalLen(hlen) + 1
	}
	n += decimalLen(hlen + len(data))
	return n > c.opts.maxControlLine
}

func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
