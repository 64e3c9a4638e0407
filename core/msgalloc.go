package core

import (
	"bytes"
	"unsafe"

	"github.com/starling-nats/starling/codec"
)

// Owned messages are allocated as one block: the Msg struct followed by an
// inline byte array holding subject, reply, header block and data. One
// allocation per message instead of three or four, and the strings point
// into bytes nobody writes again, so they are as immutable as any string.
// Messages too large for the biggest class take a second allocation for the
// bytes, where the copy costs more than the allocation anyway.

type msg32 struct {
	m Msg
	b [32]byte
}
type msg64 struct {
	m Msg
	b [64]byte
}
type msg128 struct {
	m Msg
	b [128]byte
}
type msg256 struct {
	m Msg
	b [256]byte
}
type msg512 struct {
	m Msg
	b [512]byte
}
type msg1k struct {
	m Msg
	b [1024]byte
}
type msg2k struct {
	m Msg
	b [2048]byte
}
type msg4k struct {
	m Msg
	b [4096]byte
}

// allocMsg returns a zeroed Msg and a buffer of exactly n bytes that lives
// in the same allocation when n fits a class.
func allocMsg(n int) (*Msg, []byte) {
	switch {
	case n <= 32:
		x := new(msg32)
		return &x.m, x.b[:n:n]
	case n <= 64:
		x := new(msg64)
		return &x.m, x.b[:n:n]
	case n <= 128:
		x := new(msg128)
		return &x.m, x.b[:n:n]
	case n <= 256:
		x := new(msg256)
		return &x.m, x.b[:n:n]
	case n <= 512:
		x := new(msg512)
		return &x.m, x.b[:n:n]
	case n <= 1024:
		x := new(msg1k)
		return &x.m, x.b[:n:n]
	case n <= 2048:
		x := new(msg2k)
		return &x.m, x.b[:n:n]
	case n <= 4096:
		x := new(msg4k)
		return &x.m, x.b[:n:n]
	}
	return new(Msg), make([]byte, n)
}

// newOwnedMsg copies a received message into one owned block. The header
// map is parsed only when there are header lines; a status-only header block
// (no responders, heartbeats) costs no map.
func newOwnedMsg(c *Conn, sub *Subscription, subject, reply, header, data []byte) *Msg {
	n := len(subject) + len(reply) + len(header) + len(data)
	m, buf := allocMsg(n)
	m.conn, m.sub = c, sub
	m.size = n
	off := copy(buf, subject)
	m.Subject = bytesString(buf[:off])
	if len(reply) > 0 {
		end := off + copy(buf[off:], reply)
		m.Reply = bytesString(buf[off:end])
		off = end
	}
	if len(header) > 0 {
		end := off + copy(buf[off:], header)
		m.rawHeader = buf[off:end:end]
		off = end
		if hasHeaderFields(m.rawHeader) {
			if h, err := codec.ParseHeader(m.rawHeader); err == nil {
				m.Header = h
			}
		}
	}
	end := off + copy(buf[off:], data)
	m.Data = buf[off:end:end]
	return m
}

// hasHeaderFields reports whether a header block has lines after its
// status line ("NATS/1.0 503\r\n\r\n" has none).
func hasHeaderFields(h []byte) bool {
	i := bytes.IndexByte(h, '\n')
	return i >= 0 && len(h)-(i+1) > 2
}

// bytesString views b as a string without copying. Only for bytes that are
// never written again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// borrowString views b as a string for the length of one call that copies
// it (into the write buffer); the string must not outlive that call.
func borrowString(b []byte) string { return bytesString(b) }
