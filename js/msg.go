package js

import (
	"sync/atomic"
	"unsafe"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// Msg is a message a consumer delivered, owned by the user: it may be kept,
// shared between goroutines and acknowledged from any of them. The struct
// and its bytes come in one allocation for messages up to a few KiB.
//
// Acks are at most once: after a terminal one (Ack, DoubleAck, Nak,
// NakWithDelay, Term, TermWithReason) further acks send nothing and return
// ErrMsgAlreadyAcked. InProgress may be repeated until then.
type Msg struct {
	// Subject is the subject the message was stored under.
	Subject string
	// Reply is the ack subject.
	Reply string
	// Header holds the message's headers; nil when it had none.
	Header core.Header
	Data   []byte

	nc Conn
	// acked is set by the first terminal ack.
	acked atomic.Bool
	// size counts against the consumer's byte budget.
	size int
	// next links a consumer's delivery queue.
	next *Msg
}

// Metadata parses the ack subject (both forms, see ParseMetadata) without
// allocating; its strings alias m.Reply.
func (m *Msg) Metadata() (MsgMetadata, error) { return parseMetadata(m.Reply) }

// BorrowedMsg is a message lent to a borrowed consumer handler. Its slices
// alias the connection's read buffer and are valid only until the handler
// returns; so are the strings of its Metadata. Receiving and acking one
// allocates nothing. Acks must be sent while the handler runs; Copy makes
// a *Msg to keep.
type BorrowedMsg struct {
	Subject []byte
	// Reply is the ack subject.
	Reply []byte
	// Header views the raw header block; empty when there was none.
	Header codec.HeaderView
	Data   []byte

	bm    *core.BorrowedMsg
	nc    Conn
	acked bool
}

// Metadata parses the ack subject without allocating; the strings are
// valid only while the handler runs.
func (m *BorrowedMsg) Metadata() (MsgMetadata, error) { return parseMetadata(bytesView(m.Reply)) }

// Copy returns an owned copy, acked state included.
func (m *BorrowedMsg) Copy() *Msg {
	c := newMsg(m.nc, m.Subject, m.Reply, m.Header, m.Data)
	c.acked.Store(m.acked)
	return c
}

// msgSize is what the server counts against a pull request's max_bytes.
func msgSize(subject, reply, hdr, data []byte) int {
	return len(subject) + len(reply) + len(hdr) + len(data)
}

// msgBlock holds a Msg and its bytes in one allocation.
type msgBlock[A any] struct {
	m   Msg
	buf A
}

func allocIn[A any](n int) (*Msg, []byte) {
	b := new(msgBlock[A])
	return &b.m, unsafe.Slice((*byte)(unsafe.Pointer(&b.buf)), n)
}

// allocMsg returns a Msg with n bytes of room in the same block when n fits
// one of the size classes, in two allocations otherwise.
func allocMsg(n int) (*Msg, []byte) {
	switch {
	case n <= 64:
		return allocIn[[64]byte](n)
	case n <= 128:
		return allocIn[[128]byte](n)
	case n <= 256:
		return allocIn[[256]byte](n)
	case n <= 512:
		return allocIn[[512]byte](n)
	case n <= 1024:
		return allocIn[[1024]byte](n)
	case n <= 2048:
		return allocIn[[2048]byte](n)
	case n <= 4096:
		return allocIn[[4096]byte](n)
	}
	return new(Msg), make([]byte, n)
}

// newMsg copies a received message into an owned Msg.
func newMsg(nc Conn, subject, reply []byte, hdr codec.HeaderView, data []byte) *Msg {
	n := len(subject) + len(reply) + len(data)
	m, buf := allocMsg(n)
	m.nc = nc
	i := copy(buf, subject)
	m.Subject = bytesView(buf[:i])
	j := i + copy(buf[i:], reply)
	m.Reply = bytesView(buf[i:j])
	k := j + copy(buf[j:], data)
	if len(data) > 0 {
		m.Data = buf[j:k:k]
	}
	if len(hdr) > 0 {
		// The header map is the second allocation, only for messages
		// that carry headers.
		if h, err := codec.ParseHeader(hdr); err == nil && len(h) > 0 {
			m.Header = h
		}
	}
	m.size = msgSize(subject, reply, hdr, data)
	return m
}
