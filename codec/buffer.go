package codec

import (
	"errors"
	"io"
	"math/bits"
	"sync"
)

// The read buffer. Both decoders keep their bytes in a pooled buffer of
// defaultBufSize; an operation that does not fit gets a larger pooled buffer
// (a power-of-two multiple of defaultBufSize) just for as long as it is
// needed (above 64 MiB: not pooled, sized to the operation). Its size is
// checked against the limits before the buffer is requested, so a peer can
// never make a decoder allocate more than its limits allow. Beyond
// eagerGrow, the buffer grows only as the operation's bytes arrive, so what a
// peer declares costs nothing until it is sent.

// defaultBufSize is the buffer every decoder starts with and returns to.
// 64 KiB reads halve the read system calls of a busy subscriber against
// nats.go's 32 KiB (measured in interop/bench: the raw reader reaching the
// server's ceiling reads 64 KiB); the pool keeps its cost per connection.
const defaultBufSize = 64 << 10

// maxPooledClass is the largest pooled size class (64 KiB << 10 = 64 MiB;
// the server already warns about a max_payload above 8 MiB). Larger buffers
// are allocated for the one operation and left to the garbage collector.
const maxPooledClass = 10

// bufPools[k] holds *[]byte of exactly defaultBufSize<<k bytes. Pointers to
// slices are pooled, not slices, so that Put does not allocate.
var bufPools [maxPooledClass + 1]sync.Pool

// sizeClass returns the smallest k with defaultBufSize<<k >= n.
func sizeClass(n int) int {
	if n <= defaultBufSize {
		return 0
	}
	return bits.Len(uint((n - 1) / defaultBufSize))
}

func getBuf(n int) *[]byte {
	k := sizeClass(n)
	if k > maxPooledClass {
		// Not pooled: round to 64 KiB rather than doubling.
		b := make([]byte, (n+1<<16-1)&^(1<<16-1))
		return &b
	}
	if p, _ := bufPools[k].Get().(*[]byte); p != nil {
		return p
	}
	b := make([]byte, defaultBufSize<<k)
	return &b
}

func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	n := len(*p)
	k := sizeClass(n)
	if k > maxPooledClass || defaultBufSize<<k != n {
		return
	}
	if poisonStale {
		poison(*p)
	}
	bufPools[k].Put(p)
}

// errInvalidRead reports an io.Reader that returned a count outside 0..len(p).
var errInvalidRead = errors.New("codec: source reader returned an invalid count")

// maxEmptyReads is how many (0, nil) reads in a row are tolerated before
// giving up with io.ErrNoProgress (bufio's rule), so a broken source cannot
// make a decoder spin forever.
const maxEmptyReads = 100

// stream is the buffer and source shared by Reader and ClientReader.
// buf[r:w] holds bytes read but not yet consumed; base is the stream offset of
// buf[0].
type stream struct {
	src  io.Reader
	bufp *[]byte
	buf  []byte
	r, w int
	base int64
	// rerr is the source's error, reported once the buffered bytes no longer
	// make an operation.
	rerr error
	// err is sticky: a protocol error, or ErrReleased.
	err error
	// poisoned: buf[:poisoned] is already poisoned (codecdebug only).
	poisoned int
}

func (s *stream) init(src io.Reader) {
	s.src = src
	s.bufp = getBuf(defaultBufSize)
	s.buf = *s.bufp
}

func (s *stream) reset(src io.Reader) {
	if s.bufp == nil || len(s.buf) != defaultBufSize {
		putBuf(s.bufp)
		s.bufp = getBuf(defaultBufSize)
		s.buf = *s.bufp
	}
	if poisonStale {
		poison(s.buf)
	}
	s.src = src
	s.r, s.w, s.base, s.poisoned = 0, 0, 0, 0
	s.rerr, s.err = nil, nil
}

func (s *stream) release() {
	putBuf(s.bufp)
	s.bufp, s.buf = nil, nil
	s.src = nil
	s.r, s.w, s.poisoned = 0, 0, 0
	s.err = ErrReleased
}

// offset returns the stream offset of buf[i].
func (s *stream) offset(i int) int64 { return s.base + int64(i) }

// consumed is called at the start of every Next: the previous operation is
// no longer borrowed, so its bytes may be poisoned and a large buffer may be
// given back.
func (s *stream) consumed() {
	if poisonStale && s.r > s.poisoned {
		poison(s.buf[s.poisoned:s.r])
		s.poisoned = s.r
	}
	if len(s.buf) > defaultBufSize {
		s.shrink()
	}
}

// shrink gives a buffer that grew for a large operation back to its pool once
// the unconsumed bytes fit the default buffer again.
func (s *stream) shrink() {
	if s.w-s.r <= defaultBufSize {
		s.move(getBuf(defaultBufSize))
	}
}

// move copies the unconsumed bytes to the front of the buffer *p (which may be
// the current one) and makes it current.
func (s *stream) move(p *[]byte) {
	n := copy(*p, s.buf[s.r:s.w])
	s.base += int64(s.r)
	if p != s.bufp {
		putBuf(s.bufp)
		s.bufp = p
		s.buf = *p
	}
	s.r, s.w = 0, n
	s.poisoned = 0
}

// fill reads until at least want bytes are unconsumed. The caller has checked
// want against the limits. Only the unconsumed bytes (a part of one
// operation) are ever copied: to the front of the buffer before a read, or
// into a larger buffer when the operation does not fit.
func (s *stream) fill(want int) error {
	if want > len(s.buf) {
		s.move(getBuf(growTo(len(s.buf), want)))
	} else if s.r > 0 {
		s.move(s.bufp)
	}
	empty := 0
	for s.w-s.r < want {
		if s.rerr != nil {
			return s.readErr()
		}
		if s.w == len(s.buf) {
			// Full and the operation still incomplete: the bytes are
			// real, so grow toward want (s.r is 0 after the move above).
			s.move(getBuf(growTo(len(s.buf), want)))
		}
		n, err := s.src.Read(s.buf[s.w:])
		if n < 0 || n > len(s.buf)-s.w {
			n, err = 0, errInvalidRead
		}
		s.w += n
		if err != nil {
			s.rerr = err
		}
		if n == 0 && err == nil {
			if empty++; empty >= maxEmptyReads {
				s.rerr = io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
	return nil
}

// eagerGrow is the largest buffer fill requests before the bytes arrive:
// enough for any operation under the default max payload. A larger
// operation's buffer doubles as its bytes come in. A server may announce a
// max_payload of gigabytes and then declare a payload of that size: the
// decoder must not allocate it up front on the peer's word (nats.go does),
// only follow what is actually received.
const eagerGrow = 2 << 20

// growTo returns the buffer size to move to when cur bytes are not enough
// for want: want itself up to eagerGrow, beyond it double cur (at least
// eagerGrow), never more than want.
func growTo(cur, want int) int {
	if want <= eagerGrow {
		return want
	}
	return min(want, max(2*cur, eagerGrow))
}

// readErr turns the source's error into the decoder's: io.EOF between
// operations stays io.EOF, inside one it becomes io.ErrUnexpectedEOF.
func (s *stream) readErr() error {
	if s.rerr == io.EOF && s.w > s.r {
		return io.ErrUnexpectedEOF
	}
	return s.rerr
}

// moreLine reads until the control line starting at s.r is complete, scanning
// only the new bytes for '\n', and fails once the line is longer than limit
// (limitInfo if it is an INFO line) without its CRLF.
func (s *stream) moreLine(limit, limitInfo int) error {
	for {
		pending := s.w - s.r
		lim := limit
		if limitInfo > 0 {
			// Which limit applies is known once "INFO" and the byte after it
			// have arrived; until then only the larger one can be enforced.
			switch {
			case pending < len("INFO "):
				lim = max(limit, limitInfo)
			case hasOpName(s.buf[s.r:s.r+len("INFO ")], "INFO"):
				lim = limitInfo
			}
		}
		if pending > lim+1 { // +1: a '\r' may still come before the '\n'
			return errLineTooLong
		}
		if err := s.fill(pending + 1); err != nil {
			return err
		}
		if indexNL(s.buf[s.r+pending:s.w]) >= 0 {
			return nil
		}
	}
}

// errLineTooLong is turned into a *ProtocolError by the decoder, which knows
// the operation.
var errLineTooLong = errors.New("line too long")
