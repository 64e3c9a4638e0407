package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// streamConn serves a fixed server stream and discards what the client writes.
type streamConn struct {
	r       *bytes.Reader
	written int
}

func (c *streamConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error)        { c.written += len(p); return len(p), nil }
func (c *streamConn) Close() error                       { return nil }
func (c *streamConn) LocalAddr() net.Addr                { return pipeAddr("fuzz") }
func (c *streamConn) RemoteAddr() net.Addr               { return pipeAddr("fuzz") }
func (c *streamConn) SetDeadline(t time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzWebSocketRead feeds arbitrary server bytes to the frame reader, with and without
// permessage-deflate: it must end with io.EOF, io.ErrUnexpectedEOF, a *WebSocketError or
// a *CloseError, never panic or loop, and never return more bytes than an uncompressed
// stream carried.
func FuzzWebSocketRead(f *testing.F) {
	z := deflateMessage(f, bytes.Repeat([]byte("MSG a 1 2\r\nhi\r\n"), 20))
	for _, seed := range [][]byte{
		serverFrame(true, false, wsOpBinary, []byte("INFO {}\r\n")),
		append(serverFrame(false, false, wsOpText, []byte("PO")), serverFrame(true, false, wsOpContinuation, []byte("NG\r\n"))...),
		serverFrame(true, false, wsOpPing, []byte("p")),
		serverFrame(true, false, wsOpClose, []byte{0x03, 0xe8}),
		serverFrame(true, false, wsOpClose, append([]byte{0x03, 0xf0}, "bye"...)),
		serverFrame(true, true, wsOpBinary, z),
		append(serverFrame(false, true, wsOpBinary, z[:3]), serverFrame(true, false, wsOpContinuation, z[3:])...),
		serverFrame(true, false, wsOpBinary, make([]byte, 70000)),
		{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5, 'h'},
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, stream []byte, compress bool) {
		sc := &streamConn{r: bytes.NewReader(stream)}
		ws := newWSConn(sc, true, compress)
		buf := make([]byte, 1000)
		total := 0
		var err error
		for range 1 << 20 {
			var n int
			n, err = ws.Read(buf)
			total += n
			if err != nil {
				break
			}
			if n == 0 {
				t.Fatal("Read returned 0 bytes and no error")
			}
		}
		var we *WebSocketError
		var ce *CloseError
		switch {
		case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &we), errors.As(err, &ce):
		default:
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		if !compress && total > len(stream) {
			t.Fatalf("read %d bytes from a %d-byte stream", total, len(stream))
		}
		if ws.inflater != nil {
			ws.endInflate() // return it to the pool
		}
	})
}
