package transport

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Frame opcodes and header bits (RFC 6455 section 5.2).
const (
	wsOpContinuation = 0x0
	wsOpText         = 0x1
	wsOpBinary       = 0x2
	wsOpClose        = 0x8
	wsOpPing         = 0x9
	wsOpPong         = 0xA

	wsFin  = 0x80
	wsRSV1 = 0x40 // "compressed" under permessage-deflate (RFC 7692)
	wsRSV2 = 0x20
	wsRSV3 = 0x10
	wsMask = 0x80

	wsMaxHeader         = 14
	wsMaxControlPayload = 125

	wsCloseNormal        = 1000
	wsCloseNoStatus      = 1005
	wsCloseProtocolError = 1002
	wsCloseTooBig        = 1009
)

// wsReadBuffer is the read buffer of a WebSocket connection: frame headers and small
// frames are read through it many at a time; large payloads bypass it.
const wsReadBuffer = 16 << 10

// wsCloseTimeout bounds how long Close waits to send its close frame.
const wsCloseTimeout = 100 * time.Millisecond

// wsTail completes a permessage-deflate message for an inflater: the 4 bytes the sender
// strips (RFC 7692 section 7.2.1) plus an empty final block, so the inflater ends with
// io.EOF.
var wsTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// errWouldBlock stops a Read that already has bytes for the caller before it would wait
// on the network for more.
var errWouldBlock = errors.New("would block")

// wsConn is a client WebSocket connection whose Read and Write carry one byte stream:
// Read returns the payloads of data frames in order, whatever their boundaries; each
// Write goes out as one binary frame (or several, past DefaultWebSocketMaxFrame). Ping,
// pong and close frames are handled inside Read. It keeps no goroutine, and Read and
// Write allocate nothing once their buffers have grown.
type wsConn struct {
	conn     net.Conn
	mask     bool // mask client frames (false only if the server accepted Nats-No-Masking)
	compress bool // permessage-deflate negotiated
	closed   atomic.Bool

	// Read side, under rmu.
	rmu        sync.Mutex
	rbuf       []byte
	rpos, rend int
	remaining  int64 // payload bytes left in the current data frame
	final      bool  // the current data frame ends its message
	inMessage  bool  // a data message started and its final frame is not read yet
	collecting bool  // the current message is compressed: its bytes go to cbuf
	cbuf       []byte
	crd        bytes.Reader
	inflater   io.ReadCloser // set while a compressed message is being read out
	rerr       error         // sticky: the stream is broken

	// Write side, under wmu.
	wmu       sync.Mutex
	wbuf      []byte
	out       appendWriter
	rng       *rand.ChaCha8
	werr      error // sticky: a frame went out partly
	closeSent bool
}

func newWSConn(c net.Conn, mask, compress bool) *wsConn {
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	return &wsConn{
		conn:     c,
		mask:     mask,
		compress: compress,
		rbuf:     make([]byte, wsReadBuffer),
		rng:      rand.NewChaCha8(seed),
	}
}

// NetConn returns the connection the WebSocket runs over (TCP or TLS).
func (c *wsConn) NetConn() net.Conn { return c.conn }

func (c *wsConn) LocalAddr() net.Addr                { return c.conn.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr               { return c.conn.RemoteAddr() }
func (c *wsConn) SetDeadline(t time.Time) error      { return c.conn.SetDeadline(t) }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.conn.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// Read returns payload bytes of the server's data frames. It fills p with as many
// frames as are already buffered, and waits on the network only while it has nothing
// to return. After a close frame it returns io.EOF (status 1000 or none) or a
// *CloseError; after a protocol violation a *WebSocketError; both stay.
func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	n := 0
	for n < len(p) && c.rerr == nil {
		var err error
		switch {
		case c.inflater != nil:
			var k int
			k, err = c.inflater.Read(p[n:])
			n += k
			if err == io.EOF {
				c.endInflate()
				err = nil
			} else if err != nil {
				err = c.protocolError(wsCloseProtocolError, "invalid compressed message: "+err.Error())
			}
		case c.remaining > 0 && c.collecting:
			err = c.collect(n > 0)
		case c.remaining > 0:
			var k int
			k, err = c.readPayload(p[n:], n > 0)
			n += k
		case c.collecting && c.final:
			c.startInflate()
		default:
			err = c.readHeader(n > 0)
		}
		if err == errWouldBlock {
			break
		}
		if err != nil {
			if !isTimeout(err) {
				c.rerr = err
			}
			if n > 0 {
				return n, nil // the error comes back on the next Read
			}
			return 0, err
		}
	}
	if n == 0 && c.rerr != nil {
		return 0, c.rerr
	}
	return n, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// fill makes at least n bytes (n <= len(rbuf)) available at rbuf[rpos:].
func (c *wsConn) fill(n int, nonBlocking bool) error {
	for c.rend-c.rpos < n {
		if nonBlocking {
			return errWouldBlock
		}
		if c.rpos > 0 && (c.rpos == c.rend || len(c.rbuf)-c.rpos < n) {
			c.rend = copy(c.rbuf, c.rbuf[c.rpos:c.rend])
			c.rpos = 0
		}
		k, err := c.conn.Read(c.rbuf[c.rend:])
		c.rend += k
		if err != nil && c.rend-c.rpos < n {
			return c.eofMidFrame(err, c.rend-c.rpos > 0)
		}
	}
	return nil
}

// eofMidFrame turns io.EOF into io.ErrUnexpectedEOF when part of a frame was read.
func (c *wsConn) eofMidFrame(err error, partial bool) error {
	if err == io.EOF && (partial || c.remaining > 0 || c.inMessage) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readHeader reads one frame header; it handles control frames whole and sets up the
// read of a data frame's payload.
func (c *wsConn) readHeader(nonBlocking bool) error {
	if err := c.fill(2, nonBlocking); err != nil {
		return err
	}
	b0, b1 := c.rbuf[c.rpos], c.rbuf[c.rpos+1]
	if b1&wsMask != 0 {
		return c.protocolError(wsCloseProtocolError, "masked frame from the server")
	}
	hlen := 2
	switch b1 & 0x7f {
	case 126:
		hlen += 2
	case 127:
		hlen += 8
	}
	if err := c.fill(hlen, nonBlocking); err != nil {
		return err
	}
	h := c.rbuf[c.rpos : c.rpos+hlen]
	var length uint64
	switch b1 & 0x7f {
	case 126:
		length = uint64(binary.BigEndian.Uint16(h[2:]))
	case 127:
		length = binary.BigEndian.Uint64(h[2:])
		if length>>63 != 0 {
			return c.protocolError(wsCloseProtocolError, "frame length has its most significant bit set")
		}
	default:
		length = uint64(b1 & 0x7f)
	}
	if b0&(wsRSV2|wsRSV3) != 0 {
		return c.protocolError(wsCloseProtocolError, "reserved bits RSV2/RSV3 set")
	}
	op, fin, rsv1 := b0&0x0f, b0&wsFin != 0, b0&wsRSV1 != 0

	if op >= wsOpClose {
		if !fin || length > wsMaxControlPayload {
			return c.protocolError(wsCloseProtocolError, "fragmented or oversized control frame")
		}
		if rsv1 {
			return c.protocolError(wsCloseProtocolError, "compressed control frame")
		}
		if err := c.fill(hlen+int(length), nonBlocking); err != nil {
			return err
		}
		payload := c.rbuf[c.rpos+hlen : c.rpos+hlen+int(length)]
		c.rpos += hlen + int(length)
		return c.control(op, payload)
	}

	switch op {
	case wsOpContinuation:
		if !c.inMessage {
			return c.protocolError(wsCloseProtocolError, "continuation frame outside a message")
		}
		if rsv1 {
			return c.protocolError(wsCloseProtocolError, "RSV1 set on a continuation frame")
		}
	case wsOpBinary, wsOpText:
		if c.inMessage {
			return c.protocolError(wsCloseProtocolError, "new message before the previous one ended")
		}
		if rsv1 {
			if !c.compress {
				return c.protocolError(wsCloseProtocolError, "compressed frame without permessage-deflate")
			}
			c.collecting = true
			c.cbuf = c.cbuf[:0]
		}
	default:
		return c.protocolError(wsCloseProtocolError, "unknown opcode "+strconv.Itoa(int(op)))
	}
	if c.collecting && uint64(len(c.cbuf))+length > maxCompressedMessage {
		return c.protocolError(wsCloseTooBig, "compressed message larger than "+strconv.Itoa(maxCompressedMessage)+" bytes")
	}
	c.rpos += hlen
	c.remaining = int64(length)
	c.final = fin
	c.inMessage = !fin
	return nil
}

// control answers a ping, ignores a pong, and ends the stream on a close.
func (c *wsConn) control(op byte, payload []byte) error {
	switch op {
	case wsOpPing:
		c.wmu.Lock()
		defer c.wmu.Unlock()
		if c.werr == nil && !c.closeSent {
			if err := c.writeFrameLocked(wsOpPong, payload, false); err != nil {
				return err
			}
		}
		return nil
	case wsOpPong:
		return nil
	case wsOpClose:
		code, reason := wsCloseNoStatus, ""
		switch {
		case len(payload) == 1:
			return c.protocolError(wsCloseProtocolError, "close frame with a 1-byte payload")
		case len(payload) >= 2:
			code, reason = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
		}
		c.sendClose(code)
		if code == wsCloseNormal || code == wsCloseNoStatus {
			return io.EOF
		}
		return &CloseError{Code: code, Reason: reason}
	}
	return c.protocolError(wsCloseProtocolError, "unknown control opcode "+strconv.Itoa(int(op)))
}

// protocolError tells the server why (best effort) and returns the error.
func (c *wsConn) protocolError(code int, reason string) error {
	c.sendClose(code)
	return &WebSocketError{Reason: reason}
}

// sendClose sends a close frame with code unless one was sent or a Write is in flight.
func (c *wsConn) sendClose(code int) {
	if !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	if c.closeSent || c.werr != nil {
		return
	}
	var payload [2]byte
	n := 0
	if code != wsCloseNoStatus {
		binary.BigEndian.PutUint16(payload[:], uint16(code))
		n = 2
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(wsCloseTimeout))
	_ = c.writeFrameLocked(wsOpClose, payload[:n], false)
	_ = c.conn.SetWriteDeadline(time.Time{})
	c.closeSent = true
}

// readPayload copies bytes of the current uncompressed frame into p.
func (c *wsConn) readPayload(p []byte, nonBlocking bool) (int, error) {
	want := int(min(int64(len(p)), c.remaining))
	if c.rend == c.rpos {
		if nonBlocking {
			return 0, errWouldBlock
		}
		if want >= len(c.rbuf)/2 {
			// A large payload goes straight into the caller's buffer.
			k, err := c.conn.Read(p[:want])
			c.remaining -= int64(k)
			if k > 0 {
				return k, nil
			}
			return 0, c.eofMidFrame(err, true)
		}
		if err := c.fill(1, false); err != nil {
			return 0, err
		}
	}
	k := copy(p[:want], c.rbuf[c.rpos:c.rend])
	c.rpos += k
	c.remaining -= int64(k)
	return k, nil
}

// collect moves bytes of the current compressed frame into cbuf.
func (c *wsConn) collect(nonBlocking bool) error {
	if c.rend > c.rpos {
		k := int(min(int64(c.rend-c.rpos), c.remaining))
		c.cbuf = append(c.cbuf, c.rbuf[c.rpos:c.rpos+k]...)
		c.rpos += k
		c.remaining -= int64(k)
		return nil
	}
	if nonBlocking {
		return errWouldBlock
	}
	want := int(min(c.remaining, 64<<10))
	if cap(c.cbuf)-len(c.cbuf) < want {
		c.cbuf = append(c.cbuf[:cap(c.cbuf)], make([]byte, want)...)[:len(c.cbuf)]
	}
	start := len(c.cbuf)
	k, err := c.conn.Read(c.cbuf[start : start+want])
	c.cbuf = c.cbuf[:start+k]
	c.remaining -= int64(k)
	if k > 0 {
		return nil
	}
	return c.eofMidFrame(err, true)
}

var inflaterPool sync.Pool // of io.ReadCloser implementing flate.Resetter

func (c *wsConn) startInflate() {
	c.collecting = false
	c.cbuf = append(c.cbuf, wsTail...)
	c.crd.Reset(c.cbuf)
	c.inflater = getInflater(&c.crd)
}

func (c *wsConn) endInflate() {
	putInflater(c.inflater)
	c.inflater = nil
	c.crd.Reset(nil)
	if cap(c.cbuf) > 1<<20 {
		c.cbuf = nil // do not keep a large message's buffer for good
	}
}

// Write sends p as one binary frame (several past DefaultWebSocketMaxFrame),
// compressed when compression is on and p is at least DefaultWebSocketCompressMin
// bytes. A write that fails after part of a frame went out breaks the stream: that
// error stays. A deadline that passes before any byte went out does not.
func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return 0, c.werr
	}
	if c.closed.Load() || c.closeSent {
		return 0, net.ErrClosed
	}
	written := 0
	for written < len(p) {
		chunk := p[written:min(len(p), written+DefaultWebSocketMaxFrame)]
		compress := c.compress && len(chunk) >= DefaultWebSocketCompressMin
		if err := c.writeFrameLocked(wsOpBinary, chunk, compress); err != nil {
			return written, err
		}
		written += len(chunk)
	}
	return written, nil
}

// writeFrameLocked builds one frame in wbuf and writes it; under wmu.
func (c *wsConn) writeFrameLocked(op byte, payload []byte, compress bool) error {
	need := wsMaxHeader + len(payload)
	if cap(c.wbuf) < need {
		c.wbuf = make([]byte, need)
	}
	buf := c.wbuf[:need]
	body := buf[wsMaxHeader:]
	copied := true
	if compress {
		if z, ok := c.deflate(payload); ok {
			buf = c.wbuf[:wsMaxHeader+len(z)]
			body = buf[wsMaxHeader:]
			copied = false
		} else {
			compress = false
		}
	}
	if copied {
		copy(body, payload)
	}
	b0 := wsFin | op
	if compress {
		b0 |= wsRSV1
	}
	hlen := 2
	switch {
	case len(body) > 0xffff:
		hlen += 8
	case len(body) > 125:
		hlen += 2
	}
	if c.mask {
		hlen += 4
	}
	h := buf[wsMaxHeader-hlen : wsMaxHeader]
	h[0] = b0
	var mbit byte
	if c.mask {
		mbit = wsMask
	}
	switch {
	case len(body) > 0xffff:
		h[1] = mbit | 127
		binary.BigEndian.PutUint64(h[2:], uint64(len(body)))
	case len(body) > 125:
		h[1] = mbit | 126
		binary.BigEndian.PutUint16(h[2:], uint16(len(body)))
	default:
		h[1] = mbit | byte(len(body))
	}
	if c.mask {
		key := uint32(c.rng.Uint64())
		binary.LittleEndian.PutUint32(h[hlen-4:], key)
		maskBytes(key, body)
	}
	frame := buf[wsMaxHeader-hlen:]
	n, err := c.conn.Write(frame)
	if err != nil {
		if !(n == 0 && isTimeout(err)) {
			c.werr = err
		}
		return err
	}
	return nil
}

// deflate compresses payload into wbuf after the header room; ok is false when the
// result would not be smaller, and the frame then goes out uncompressed.
func (c *wsConn) deflate(payload []byte) ([]byte, bool) {
	c.out.b = c.wbuf[:wsMaxHeader]
	fw := getDeflater(&c.out)
	_, err := fw.Write(payload)
	if err == nil {
		err = fw.Flush()
	}
	putDeflater(fw)
	out := c.out.b
	c.out.b = nil
	if cap(out) > cap(c.wbuf) {
		c.wbuf = out[:cap(out)]
	}
	// Flush ends with the empty stored block 00 00 ff ff, which RFC 7692 strips.
	z := out[wsMaxHeader:]
	if err != nil || len(z) < 4 || len(z)-4 >= len(payload) {
		return nil, false
	}
	return z[:len(z)-4], true
}

// appendWriter is the io.Writer the deflater writes into.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// maskBytes XORs b with the 4-byte masking key (key's little-endian bytes), 8 bytes
// at a time.
func maskBytes(key uint32, b []byte) {
	k := uint64(key) | uint64(key)<<32
	for len(b) >= 32 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k)
		binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k)
		binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k)
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= byte(key >> (8 * (i & 3)))
	}
}

// Close sends a close frame (unless a Write is blocked, or one was sent) and closes
// the underlying connection without waiting for the server's answer.
func (c *wsConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	c.sendClose(wsCloseNormal)
	return c.conn.Close()
}
