package transport

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// wsPeer is the server end of a WebSocket in tests: a fake server for framing and
// hostile input, where a real nats-server cannot be made to misbehave.
type wsPeer struct {
	c   Conn
	br  *bufio.Reader
	req *http.Request
}

// wsAnswer describes how the fake server answers the opening handshake.
type wsAnswer struct {
	status     int    // 0: 101
	extensions string // Sec-WebSocket-Extensions value, "" for none
	noMasking  bool   // echo Nats-No-Masking when asked
	badAccept  bool
	noUpgrade  bool
	extra      []byte // bytes sent right behind the response (frames)
	silent     bool   // read the request and never answer
	// extraHeaders: bytes of filler headers in the 101 response
	extraHeaders int
}

// startWSPeer runs the fake server on the far end of a pipe; serve runs after the
// handshake. It returns the client end of the pipe.
func startWSPeer(t *testing.T, ans wsAnswer, serve func(p *wsPeer)) Conn {
	t.Helper()
	a, b := NewPipe(WithPipeBuffer(4 << 20))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer b.Close()
		p := &wsPeer{c: b, br: bufio.NewReader(b)}
		if err := p.answer(ans); err != nil || serve == nil {
			_, _ = io.Copy(io.Discard, b)
			return
		}
		serve(p)
	}()
	t.Cleanup(func() { a.Close(); wg.Wait() })
	return a
}

func (p *wsPeer) answer(ans wsAnswer) error {
	req, err := http.ReadRequest(p.br)
	if err != nil {
		return err
	}
	p.req = req
	if ans.silent {
		return errors.New("silent")
	}
	if ans.status != 0 {
		_, _ = fmt.Fprintf(p.c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", ans.status, http.StatusText(ans.status))
		return errors.New("refused")
	}
	accept := acceptKey(req.Header.Get("Sec-WebSocket-Key"))
	if ans.badAccept {
		accept = "AAAA" + accept[4:]
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	if !ans.noUpgrade {
		b.WriteString("Upgrade: websocket\r\n")
	}
	b.WriteString("Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n")
	if ans.extensions != "" {
		b.WriteString("Sec-WebSocket-Extensions: " + ans.extensions + "\r\n")
	}
	for n := 0; n < ans.extraHeaders; n += 1000 {
		b.WriteString("X-Filler: " + strings.Repeat("f", 988) + "\r\n")
	}
	if ans.noMasking && req.Header.Get("Nats-No-Masking") == "true" {
		b.WriteString("Nats-No-Masking: true\r\n")
	}
	b.WriteString("\r\n")
	_, err = p.c.Write(append([]byte(b.String()), ans.extra...))
	return err
}

// serverFrame encodes a server frame (unmasked).
func serverFrame(fin, rsv1 bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= wsFin
	}
	if rsv1 {
		b0 |= wsRSV1
	}
	var h []byte
	switch {
	case len(payload) > 0xffff:
		h = make([]byte, 10)
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(len(payload)))
	case len(payload) > 125:
		h = make([]byte, 4)
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(len(payload)))
	default:
		h = make([]byte, 2)
		h[1] = byte(len(payload))
	}
	h[0] = b0
	return append(h, payload...)
}

func (p *wsPeer) send(t *testing.T, frames ...[]byte) {
	t.Helper()
	_, err := p.c.Write(bytes.Join(frames, nil))
	require.NoError(t, err)
}

type clientFrame struct {
	fin, rsv1, masked bool
	op                byte
	payload           []byte // unmasked
}

func (p *wsPeer) readFrame() (clientFrame, error) {
	var f clientFrame
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		return f, err
	}
	f.fin, f.rsv1, f.op = h[0]&wsFin != 0, h[0]&wsRSV1 != 0, h[0]&0x0f
	f.masked = h[1]&wsMask != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(p.br, key[:]); err != nil {
			return f, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(p.br, f.payload); err != nil {
		return f, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// readData reads client frames until it has n bytes of (inflated) data, answering
// nothing; it returns the data and the frames it saw.
func (p *wsPeer) readData(n int) ([]byte, []clientFrame, error) {
	var data []byte
	var frames []clientFrame
	for len(data) < n {
		f, err := p.readFrame()
		if err != nil {
			return data, frames, err
		}
		frames = append(frames, f)
		if f.op >= wsOpClose {
			continue
		}
		payload := f.payload
		if f.rsv1 {
			payload, err = inflate(payload)
			if err != nil {
				return data, frames, err
			}
		}
		data = append(data, payload...)
	}
	return data, frames, nil
}

// deflateMessage compresses a message as a permessage-deflate sender does.
func deflateMessage(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	out := buf.Bytes()
	require.True(t, bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}))
	return out[:len(out)-4]
}

func inflate(z []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader(wsTail))))
}

// dialPeer runs the client handshake over c.
func dialPeer(t *testing.T, c Conn, addr string, opts ...WebSocketOption) (*wsConn, error) {
	t.Helper()
	a, err := ParseAddr(addr)
	require.NoError(t, err)
	cfg := defaultWebSocketConfig()
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, err := dialWebSocket(ctx, c, a, &cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { ws.Close() })
	return ws.(*wsConn), nil
}
