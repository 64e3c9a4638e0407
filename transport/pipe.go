package transport

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// DefaultPipeBuffer is how many bytes each direction of a pipe holds before Write
// blocks: the size of a small socket buffer.
const DefaultPipeBuffer = 64 << 10

// PipeOption configures NewPipe.
type PipeOption func(*pipeConfig)

type pipeConfig struct{ buffer int }

// WithPipeBuffer sets how many bytes each direction buffers (at least 1).
// Default: DefaultPipeBuffer.
func WithPipeBuffer(n int) PipeOption {
	return func(c *pipeConfig) { c.buffer = max(n, 1) }
}

// NewPipe returns the two ends of an in-memory, full-duplex connection. Unlike
// net.Pipe, each direction is buffered (DefaultPipeBuffer bytes): a Write returns as
// soon as its bytes fit in the buffer, as on a TCP socket, so a test where both sides
// write before they read (a server sending INFO while the client sends CONNECT) does
// not deadlock, and a Write blocks only when the peer stops reading, which is how
// back-pressure looks on a real connection.
//
// Both ends honour read and write deadlines (os.ErrDeadlineExceeded). After Close, the
// closing end's operations return net.ErrClosed; the peer reads what was buffered and
// then io.EOF, and its writes fail with io.ErrClosedPipe. Read and Write allocate
// nothing.
func NewPipe(opts ...PipeOption) (Conn, Conn) {
	cfg := pipeConfig{buffer: DefaultPipeBuffer}
	for _, o := range opts {
		o(&cfg)
	}
	ab := newPipeBuffer(cfg.buffer) // a writes, b reads
	ba := newPipeBuffer(cfg.buffer) // b writes, a reads
	a := newPipeConn(ba, ab, pipeAddr("pipe-a"), pipeAddr("pipe-b"))
	b := newPipeConn(ab, ba, pipeAddr("pipe-b"), pipeAddr("pipe-a"))
	return a, b
}

// pipeBuffer is one direction of a pipe: a ring buffer with wake-up channels.
type pipeBuffer struct {
	mu           sync.Mutex
	data         []byte
	r, n         int  // read index and bytes buffered
	writerClosed bool // the reader gets io.EOF once drained
	readerClosed bool // the writer gets io.ErrClosedPipe
	readable     chan struct{}
	writable     chan struct{}
}

func newPipeBuffer(size int) *pipeBuffer {
	return &pipeBuffer{
		data:     make([]byte, size),
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// read copies buffered bytes into p; under b.mu.
func (b *pipeBuffer) read(p []byte) int {
	total := 0
	for len(p) > 0 && b.n > 0 {
		end := min(b.r+b.n, len(b.data))
		k := copy(p, b.data[b.r:end])
		p = p[k:]
		b.r = (b.r + k) % len(b.data)
		b.n -= k
		total += k
	}
	if b.n == 0 {
		b.r = 0
	}
	return total
}

// write copies as much of p as fits; under b.mu.
func (b *pipeBuffer) write(p []byte) int {
	total := 0
	for len(p) > 0 && b.n < len(b.data) {
		w := (b.r + b.n) % len(b.data)
		end := len(b.data)
		if w < b.r {
			end = b.r
		}
		k := copy(b.data[w:end], p)
		p = p[k:]
		b.n += k
		total += k
	}
	return total
}

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

type pipeConn struct {
	rx, tx        *pipeBuffer
	rmu, wmu      sync.Mutex // one Read and one Write at a time, so writes stay whole
	rdl, wdl      *deadline
	closed        chan struct{}
	closeOnce     sync.Once
	local, remote net.Addr
}

func newPipeConn(rx, tx *pipeBuffer, local, remote net.Addr) *pipeConn {
	return &pipeConn{
		rx: rx, tx: tx,
		rdl: newDeadline(), wdl: newDeadline(),
		closed: make(chan struct{}),
		local:  local, remote: remote,
	}
}

func (c *pipeConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if isClosed(c.closed) {
			return 0, net.ErrClosed
		}
		if c.rdl.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		c.rx.mu.Lock()
		if c.rx.n > 0 || len(p) == 0 {
			n := c.rx.read(p)
			c.rx.mu.Unlock()
			signal(c.rx.writable)
			return n, nil
		}
		eof := c.rx.writerClosed
		c.rx.mu.Unlock()
		if eof {
			return 0, io.EOF
		}
		select {
		case <-c.rx.readable:
		case <-c.rdl.wait():
		case <-c.closed:
		}
	}
}

func (c *pipeConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for {
		if isClosed(c.closed) {
			return written, net.ErrClosed
		}
		if c.wdl.expired() {
			return written, os.ErrDeadlineExceeded
		}
		if written == len(p) {
			return written, nil
		}
		c.tx.mu.Lock()
		if c.tx.readerClosed {
			c.tx.mu.Unlock()
			return written, io.ErrClosedPipe
		}
		k := c.tx.write(p[written:])
		c.tx.mu.Unlock()
		if k > 0 {
			written += k
			signal(c.tx.readable)
			continue
		}
		select {
		case <-c.tx.writable:
		case <-c.wdl.wait():
		case <-c.closed:
		}
	}
}

// Close closes this end. The peer still reads what this end wrote, then io.EOF.
func (c *pipeConn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
		c.rx.mu.Lock()
		c.rx.readerClosed = true
		c.rx.mu.Unlock()
		signal(c.rx.writable)
		c.tx.mu.Lock()
		c.tx.writerClosed = true
		c.tx.mu.Unlock()
		signal(c.tx.readable)
	})
	if !first {
		return net.ErrClosed
	}
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.local }
func (c *pipeConn) RemoteAddr() net.Addr { return c.remote }

func (c *pipeConn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

func (c *pipeConn) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }
