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
//
// The blocks come in the sizes of the Go allocator's own size classes (see
// runtime/sizeclasses.go), so a block wastes no more than the allocator
// would round up anyway (at most about an eighth). Messages larger than the
// biggest block take a second allocation for their bytes, where the copy
// costs more than the allocation.

// msgSize is unsafe.Sizeof(Msg{}); TestMsgBlockSizes keeps it true, so that
// every block is exactly one allocator size class.
const msgSize = 120

// msgBlock is a Msg with A (a byte array) right after it.
type msgBlock[A any] struct {
	m Msg
	b A
}

// allocIn allocates a block whose array A holds at least n bytes.
func allocIn[A any](n int) (*Msg, []byte) {
	x := new(msgBlock[A])
	b := unsafe.Slice((*byte)(unsafe.Pointer(&x.b)), unsafe.Sizeof(x.b))
	return &x.m, b[:n:n]
}

// allocMsg returns a zeroed Msg and a buffer of exactly n bytes that lives
// in the same allocation when n fits a block.
func allocMsg(n int) (*Msg, []byte) {
	switch {
	case n <= 160-msgSize:
		return allocIn[[160 - msgSize]byte](n)
	case n <= 192-msgSize:
		return allocIn[[192 - msgSize]byte](n)
	case n <= 256-msgSize:
		return allocIn[[256 - msgSize]byte](n)
	case n <= 320-msgSize:
		return allocIn[[320 - msgSize]byte](n)
	case n <= 384-msgSize:
		return allocIn[[384 - msgSize]byte](n)
	case n <= 512-msgSize:
		return allocIn[[512 - msgSize]byte](n)
	case n <= 640-msgSize:
		return allocIn[[640 - msgSize]byte](n)
	case n <= 768-msgSize:
		return allocIn[[768 - msgSize]byte](n)
	case n <= 1024-msgSize:
		return allocIn[[1024 - msgSize]byte](n)
	case n <= 1152-msgSize:
		return allocIn[[1152 - msgSize]byte](n)
	case n <= 1280-msgSize:
		return allocIn[[1280 - msgSize]byte](n)
	case n <= 1536-msgSize:
		return allocIn[[1536 - msgSize]byte](n)
	case n <= 1792-msgSize:
		return allocIn[[1792 - msgSize]byte](n)
	case n <= 2048-msgSize:
		return allocIn[[2048 - msgSize]byte](n)
	case n <= 2304-msgSize:
		return allocIn[[2304 - msgSize]byte](n)
	case n <= 2688-msgSize:
		return allocIn[[2688 - msgSize]byte](n)
	case n <= 3072-msgSize:
		return allocIn[[3072 - msgSize]byte](n)
	case n <= 4096-msgSize:
		return allocIn[[4096 - msgSize]byte](n)
	case n <= 5376-msgSize:
		return allocIn[[5376 - msgSize]byte](n)
	case n <= 6144-msgSize:
		return allocIn[[6144 - msgSize]byte](n)
	case n <= 8192-msgSize:
		return allocIn[[8192 - msgSize]byte](n)
	}
	return new(Msg), make([]byte, n)
}

// msgBlockTotals lists the block sizes, for TestMsgBlockSizes.
var msgBlockTotals = []int{160, 192, 256, 320, 384, 512, 640, 768, 1024, 1152, 1280, 1536, 1792, 2048, 2304, 2688, 3072, 4096, 5376, 6144, 8192}

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
			m.Header = viewHeader(m.rawHeader)
		}
	}
	end := off + copy(buf[off:], data)
	m.Data = buf[off:end:end]
	return m
}

// viewHeader builds the Header map of an owned message whose header block
// lives in the message's own immutable block: keys and values are strings
// over those bytes, not copies, and all values share one backing array, so
// a header costs the map and one slice instead of a string per key and
// value. Lines without a colon are skipped, as HeaderView skips them.
func viewHeader(raw []byte) Header {
	hv := codec.HeaderView(raw)
	n := 0
	for range hv.All() {
		n++
	}
	if n == 0 {
		return nil
	}
	vals := make([]string, 0, n)
	h := make(Header, n)
	for k, v := range hv.All() {
		key := bytesString(k)
		if prev, ok := h[key]; ok {
			// A repeated key: appending copies its values out of the
			// shared array, leaving the neighbours alone.
			h[key] = append(prev[:len(prev):len(prev)], bytesString(v))
			continue
		}
		vals = append(vals, bytesString(v))
		h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return h
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
