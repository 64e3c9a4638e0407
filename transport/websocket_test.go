package transport

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const wsAddr = "ws://127.0.0.1:8080/nats?x=1"

func readExactly(t *testing.T, c Conn, n int) []byte {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	return buf
}

func TestWebSocketHandshakeRequest(t *testing.T) {
	got := make(chan *http.Request, 1)
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) { got <- p.req; _, _ = io.Copy(io.Discard, p.c) })
	_, err := dialPeer(t, c, wsAddr,
		WebSocketHeader("Origin", "https://app.example"),
		WebSocketHeaders(http.Header{"Cookie": {"jwt=abc"}}),
	)
	require.NoError(t, err)
	req := <-got
	assert.Equal(t, "GET", req.Method)
	assert.Equal(t, "/nats?x=1", req.RequestURI)
	assert.Equal(t, "127.0.0.1:8080", req.Host)
	assert.Equal(t, "websocket", req.Header.Get("Upgrade"))
	assert.Equal(t, "Upgrade", req.Header.Get("Connection"))
	assert.Equal(t, "13", req.Header.Get("Sec-WebSocket-Version"))
	key, err := base64.StdEncoding.DecodeString(req.Header.Get("Sec-WebSocket-Key"))
	require.NoError(t, err)
	assert.Len(t, key, 16)
	assert.Empty(t, req.Header.Get("Sec-WebSocket-Extensions"), "compression is off by default")
	assert.Equal(t, "https://app.example", req.Header.Get("Origin"))
	assert.Equal(t, "jwt=abc", req.Header.Get("Cookie"))
}

func TestWebSocketHandshakeTargetAndHost(t *testing.T) {
	for _, tt := range []struct {
		addr  string
		opts  []WebSocketOption
		line  string
		host  string
		extra string
	}{
		{"ws://h", nil, "GET / HTTP/1.1", "Host: h\r\n", ""},
		{"wss://h", nil, "GET / HTTP/1.1", "Host: h\r\n", ""},
		{"ws://h:443", nil, "GET / HTTP/1.1", "Host: h:443\r\n", ""},
		{"wss://[::1]:8443/a/b", nil, "GET /a/b HTTP/1.1", "Host: [::1]:8443\r\n", ""},
		{"ws://[fe80::1%25eth0]:80", nil, "GET / HTTP/1.1", "Host: [fe80::1]\r\n", ""},
		{"ws://h/url", []WebSocketOption{WebSocketPath("/proxy/nats")}, "GET /proxy/nats HTTP/1.1", "Host: h\r\n", ""},
		{"ws://h", []WebSocketOption{WebSocketHeader("Host", "front.example")}, "GET / HTTP/1.1", "Host: front.example\r\n", ""},
		{"ws://h", []WebSocketOption{WebSocketCompression(true)}, "GET / HTTP/1.1", "Host: h\r\n",
			"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"},
		{"ws://h", []WebSocketOption{WebSocketNoMasking(true)}, "GET / HTTP/1.1", "Host: h\r\n", "Nats-No-Masking: true\r\n"},
	} {
		a, err := ParseAddr(tt.addr)
		require.NoError(t, err)
		cfg := defaultWebSocketConfig()
		for _, o := range tt.opts {
			o(&cfg)
		}
		req, err := buildHandshake(a, &cfg, "k")
		require.NoError(t, err)
		s := string(req)
		assert.True(t, strings.HasPrefix(s, tt.line+"\r\n"), s)
		assert.Contains(t, s, tt.host, tt.addr)
		assert.Contains(t, s, tt.extra)
		assert.True(t, strings.HasSuffix(s, "\r\n\r\n"))
	}
	for name, opt := range map[string]WebSocketOption{
		"reserved":      WebSocketHeader("sec-websocket-key", "x"),
		"reserved ext":  WebSocketHeader("Sec-WebSocket-Extensions", "x"),
		"bad name":      WebSocketHeader("Bad Name", "x"),
		"injection":     WebSocketHeader("X-A", "v\r\nX-B: injected"),
		"relative path": WebSocketPath("nats"),
		"path with CR":  WebSocketPath("/a\r\nX: y"),
	} {
		cfg := defaultWebSocketConfig()
		opt(&cfg)
		_, err := buildHandshake(Addr{Scheme: "ws", Host: "h", Port: "80"}, &cfg, "k")
		assert.ErrorIs(t, err, ErrWebSocketHandshake, name)
	}
}

func TestWebSocketHandshakeFailures(t *testing.T) {
	tests := []struct {
		name   string
		ans    wsAnswer
		opts   []WebSocketOption
		status int
		reason string
	}{
		{"refused", wsAnswer{status: 403}, nil, 403, "refused"},
		{"bad accept", wsAnswer{badAccept: true}, nil, 101, "Sec-WebSocket-Accept"},
		{"no upgrade header", wsAnswer{noUpgrade: true}, nil, 101, "Upgrade"},
		{"extension not offered", wsAnswer{extensions: "permessage-deflate"}, nil, 101, "not offered"},
		{"deflate lacking client_no_context_takeover", wsAnswer{extensions: "permessage-deflate; server_no_context_takeover"},
			[]WebSocketOption{WebSocketCompression(true)}, 101, "client_no_context_takeover"},
		{"deflate lacking both", wsAnswer{extensions: "permessage-deflate"},
			[]WebSocketOption{WebSocketCompression(true)}, 101, "server_no_context_takeover"},
		{"deflate unknown parameter", wsAnswer{extensions: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=10"},
			[]WebSocketOption{WebSocketCompression(true)}, 101, "client_max_window_bits"},
		{"other extension", wsAnswer{extensions: "x-webkit-deflate-frame"},
			[]WebSocketOption{WebSocketCompression(true)}, 101, "x-webkit-deflate-frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startWSPeer(t, tt.ans, nil)
			_, err := dialPeer(t, c, wsAddr, tt.opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrWebSocketHandshake)
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tt.status, he.StatusCode)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}

	// A server that sends endless headers: bounded.
	c := startWSPeer(t, wsAnswer{silent: true}, nil)
	huge := startWSPeer(t, wsAnswer{extraHeaders: 200_000}, nil)
	_, err := dialPeer(t, huge, wsAddr)
	var he *HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Contains(t, err.Error(), "larger than")

	// A server that never answers: the context ends the handshake, promptly.
	a, _ := ParseAddr(wsAddr)
	cfg := defaultWebSocketConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = dialWebSocket(ctx, c, a, &cfg)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	c = startWSPeer(t, wsAnswer{silent: true}, nil)
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = dialWebSocket(ctx, c, a, &cfg)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestWebSocketStream(t *testing.T) {
	info := []byte("INFO {\"server_id\":\"S\"}\r\n")
	serverDone := make(chan []clientFrame, 1)
	c := startWSPeer(t, wsAnswer{extra: serverFrame(true, false, wsOpBinary, info)}, func(p *wsPeer) {
		data, frames, err := p.readData(len("CONNECT {}\r\nPING\r\n"))
		assert.NoError(t, err)
		assert.Equal(t, "CONNECT {}\r\nPING\r\n", string(data))
		// PONG split over a fragmented text message, with a ping and a pong in the
		// middle, an empty frame, then a MSG whose payload spans two messages.
		p.send(t,
			serverFrame(false, false, wsOpText, []byte("PO")),
			serverFrame(true, false, wsOpPing, []byte("are you there")),
			serverFrame(false, false, wsOpContinuation, nil),
			serverFrame(true, false, wsOpPong, []byte("unsolicited")),
			serverFrame(true, false, wsOpContinuation, []byte("NG\r\n")),
			serverFrame(true, false, wsOpBinary, []byte("MSG foo 1 5\r\nhe")),
			serverFrame(true, false, wsOpBinary, []byte("llo\r\n")),
		)
		pong, err := p.readFrame()
		assert.NoError(t, err)
		frames = append(frames, pong)
		serverDone <- frames
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	assert.Equal(t, string(info), string(readExactly(t, ws, len(info))), "INFO sent right behind the 101 is not lost")
	_, err = ws.Write([]byte("CONNECT {}\r\n"))
	require.NoError(t, err)
	_, err = ws.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	want := "PONG\r\nMSG foo 1 5\r\nhello\r\n"
	assert.Equal(t, want, string(readExactly(t, ws, len(want))))

	frames := <-serverDone
	require.Len(t, frames, 3)
	for _, f := range frames[:2] {
		assert.True(t, f.masked, "client frames are masked")
		assert.Equal(t, byte(wsOpBinary), f.op)
		assert.True(t, f.fin)
		assert.False(t, f.rsv1)
	}
	assert.Equal(t, clientFrame{fin: true, masked: true, op: wsOpPong, payload: []byte("are you there")}, frames[2], "ping answered with its payload")
}

func TestWebSocketLargeFrames(t *testing.T) {
	big := make([]byte, 3*DefaultWebSocketMaxFrame+17)
	for i := range big {
		big[i] = byte(i % 251)
	}
	frames := make(chan []clientFrame, 1)
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) {
		data, fs, err := p.readData(len(big))
		assert.NoError(t, err)
		assert.True(t, bytes.Equal(big, data))
		frames <- fs
		// A 64-bit length frame and a 16-bit one back.
		p.send(t, serverFrame(true, false, wsOpBinary, big), serverFrame(true, false, wsOpBinary, big[:300]))
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	n, err := ws.Write(big)
	require.NoError(t, err)
	assert.Equal(t, len(big), n)
	fs := <-frames
	assert.Len(t, fs, 4, "a write past the frame limit goes out in several frames")
	got := readExactly(t, ws, len(big)+300)
	assert.True(t, bytes.Equal(big, got[:len(big)]))
	assert.True(t, bytes.Equal(big[:300], got[len(big):]))
}

// The server's byte stream, cut into random frames with control frames between them,
// reads back exactly.
func TestWebSocketRandomFraming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	stream := make([]byte, 200_000)
	for i := range stream {
		stream[i] = byte(rng.IntN(256))
	}
	var frames [][]byte
	for rest := stream; len(rest) > 0; {
		msgLen := min(len(rest), 1+rng.IntN(5000))
		msg := rest[:msgLen]
		rest = rest[msgLen:]
		first := true
		for len(msg) > 0 || first {
			k := min(len(msg), rng.IntN(1500))
			op := byte(wsOpContinuation)
			if first {
				op = wsOpBinary
			}
			frames = append(frames, serverFrame(k == len(msg), false, op, msg[:k]))
			msg, first = msg[k:], false
			if rng.IntN(4) == 0 {
				frames = append(frames, serverFrame(true, false, wsOpPong, []byte("p")))
			}
		}
	}
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) {
		p.send(t, frames...)
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	// Read with random buffer sizes.
	var got []byte
	buf := make([]byte, 70_000)
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	for len(got) < len(stream) {
		n, err := ws.Read(buf[:1+rng.IntN(len(buf)-1)])
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	assert.True(t, bytes.Equal(stream, got))
}

func TestWebSocketClose(t *testing.T) {
	t.Run("normal", func(t *testing.T) {
		reply := make(chan clientFrame, 1)
		c := startWSPeer(t, wsAnswer{extra: serverFrame(true, false, wsOpClose, []byte{0x03, 0xe8})}, func(p *wsPeer) {
			f, err := p.readFrame()
			assert.NoError(t, err)
			reply <- f
		})
		ws, err := dialPeer(t, c, wsAddr)
		require.NoError(t, err)
		_, err = ws.Read(make([]byte, 10))
		assert.Equal(t, io.EOF, err, "a normal close is io.EOF itself")
		f := <-reply
		assert.Equal(t, byte(wsOpClose), f.op, "the client answers the close")
		assert.Equal(t, []byte{0x03, 0xe8}, f.payload)
		_, err = ws.Read(make([]byte, 10))
		assert.Equal(t, io.EOF, err, "and stays at EOF")
		_, err = ws.Write([]byte("x"))
		assert.ErrorIs(t, err, net.ErrClosed, "no writes after the close handshake")
	})
	t.Run("with reason", func(t *testing.T) {
		payload := append([]byte{0x03, 0xf0}, "Authentication Failure"...) // 1008
		c := startWSPeer(t, wsAnswer{extra: serverFrame(true, false, wsOpClose, payload)}, func(p *wsPeer) { _, _ = io.Copy(io.Discard, p.c) })
		ws, err := dialPeer(t, c, wsAddr)
		require.NoError(t, err)
		_, err = ws.Read(make([]byte, 10))
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, 1008, ce.Code)
		assert.Equal(t, "Authentication Failure", ce.Reason)
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("by the client", func(t *testing.T) {
		got := make(chan clientFrame, 1)
		c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) {
			f, err := p.readFrame()
			assert.NoError(t, err)
			got <- f
		})
		ws, err := dialPeer(t, c, wsAddr)
		require.NoError(t, err)
		require.NoError(t, ws.Close())
		assert.Equal(t, clientFrame{fin: true, masked: true, op: wsOpClose, payload: []byte{0x03, 0xe8}}, <-got)
		assert.ErrorIs(t, ws.Close(), net.ErrClosed)
		_, err = ws.Read(make([]byte, 1))
		assert.ErrorIs(t, err, net.ErrClosed)
		_, err = ws.Write([]byte("x"))
		assert.ErrorIs(t, err, net.ErrClosed)
	})
	t.Run("tcp closed without a close frame", func(t *testing.T) {
		c := startWSPeer(t, wsAnswer{extra: serverFrame(true, false, wsOpBinary, []byte("abc"))}, func(p *wsPeer) {})
		ws, err := dialPeer(t, c, wsAddr)
		require.NoError(t, err)
		assert.Equal(t, "abc", string(readExactly(t, ws, 3)))
		_, err = ws.Read(make([]byte, 1))
		assert.Equal(t, io.EOF, err)
	})
	t.Run("tcp closed mid-frame", func(t *testing.T) {
		c := startWSPeer(t, wsAnswer{extra: serverFrame(true, false, wsOpBinary, []byte("abcdef"))[:5]}, func(p *wsPeer) {})
		ws, err := dialPeer(t, c, wsAddr)
		require.NoError(t, err)
		buf := make([]byte, 10)
		n, _ := ws.Read(buf)
		assert.Equal(t, "abc", string(buf[:n]))
		_, err = ws.Read(buf)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
}

func TestWebSocketProtocolViolations(t *testing.T) {
	masked := serverFrame(true, false, wsOpBinary, []byte("x"))
	masked[1] |= wsMask
	masked = append(masked[:2], append([]byte{1, 2, 3, 4}, masked[2:]...)...)
	hugeLen := []byte{wsFin | wsOpBinary, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	tests := []struct {
		name   string
		frames [][]byte
		reason string
	}{
		{"masked server frame", [][]byte{masked}, "masked"},
		{"rsv2", [][]byte{{wsFin | wsRSV2 | wsOpBinary, 0}}, "RSV2"},
		{"unknown opcode", [][]byte{{wsFin | 0x3, 0}}, "opcode"},
		{"unknown control opcode", [][]byte{{wsFin | 0xB, 0}}, "opcode"},
		{"stray continuation", [][]byte{serverFrame(true, false, wsOpContinuation, []byte("x"))}, "continuation"},
		{"interleaved messages", [][]byte{serverFrame(false, false, wsOpBinary, []byte("a")), serverFrame(true, false, wsOpBinary, []byte("b"))}, "before the previous"},
		{"fragmented control", [][]byte{serverFrame(false, false, wsOpPing, nil)}, "control frame"},
		{"oversized control", [][]byte{serverFrame(true, false, wsOpPing, make([]byte, 126))}, "control frame"},
		{"compressed without deflate", [][]byte{serverFrame(true, true, wsOpBinary, []byte("x"))}, "permessage-deflate"},
		{"one-byte close", [][]byte{serverFrame(true, false, wsOpClose, []byte{3})}, "1-byte"},
		{"length msb", [][]byte{hugeLen}, "most significant bit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closeFrame := make(chan clientFrame, 1)
			c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) {
				p.send(t, tt.frames...)
				f, err := p.readFrame()
				if err == nil {
					closeFrame <- f
				}
				_, _ = io.Copy(io.Discard, p.c)
			})
			ws, err := dialPeer(t, c, wsAddr)
			require.NoError(t, err)
			require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
			var readErr error
			buf := make([]byte, 16)
			for readErr == nil {
				_, readErr = ws.Read(buf)
			}
			assert.ErrorIs(t, readErr, ErrWebSocketProtocol)
			var we *WebSocketError
			require.ErrorAs(t, readErr, &we)
			assert.Contains(t, readErr.Error(), tt.reason)
			_, again := ws.Read(buf)
			assert.Equal(t, readErr, again, "the stream stays broken")
			select {
			case f := <-closeFrame:
				assert.Equal(t, byte(wsOpClose), f.op)
				assert.Equal(t, []byte{0x03, 0xea}, f.payload, "1002 protocol error")
			case <-time.After(5 * time.Second):
				t.Fatal("no close frame sent")
			}
		})
	}
}

func TestWebSocketCompression(t *testing.T) {
	text := bytes.Repeat([]byte("MSG greetings.hello 1 11\r\nhello world\r\n"), 200)
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	z := deflateMessage(t, text)
	half := len(z) / 2
	sawFrames := make(chan []clientFrame, 1)
	c := startWSPeer(t, wsAnswer{extensions: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, func(p *wsPeer) {
		// Client: a compressible write, a small one and an incompressible one.
		data, frames, err := p.readData(len(text) + 5 + len(random))
		assert.NoError(t, err)
		assert.True(t, bytes.Equal(append(append(append([]byte{}, text...), "PING\n"...), random...), data))
		sawFrames <- frames
		// Server: a compressed message in two fragments with a ping between, then an
		// uncompressed one, then the same compressed message whole.
		p.send(t,
			serverFrame(false, true, wsOpBinary, z[:half]),
			serverFrame(true, false, wsOpPing, nil),
			serverFrame(true, false, wsOpContinuation, z[half:]),
			serverFrame(true, false, wsOpBinary, []byte("PONG\r\n")),
			serverFrame(true, true, wsOpBinary, z),
		)
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr, WebSocketCompression(true))
	require.NoError(t, err)
	require.True(t, ws.compress, "negotiated")
	for _, w := range [][]byte{text, []byte("PING\n"), random} {
		_, err = ws.Write(w)
		require.NoError(t, err)
	}
	frames := <-sawFrames
	require.Len(t, frames, 3)
	assert.True(t, frames[0].rsv1, "a compressible write is compressed")
	assert.Less(t, len(frames[0].payload), len(text)/4)
	assert.False(t, frames[1].rsv1, "a small write is not")
	assert.False(t, frames[2].rsv1, "an incompressible write goes out as is")

	want := append(append(append([]byte{}, text...), "PONG\r\n"...), text...)
	got := readExactly(t, ws, len(want))
	assert.True(t, bytes.Equal(want, got))
}

func TestWebSocketCompressedCorrupt(t *testing.T) {
	c := startWSPeer(t, wsAnswer{extensions: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, func(p *wsPeer) {
		p.send(t, serverFrame(true, true, wsOpBinary, []byte{0xff, 0xff, 0xff, 0xff}))
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr, WebSocketCompression(true))
	require.NoError(t, err)
	_, err = ws.Read(make([]byte, 100))
	assert.ErrorIs(t, err, ErrWebSocketProtocol)
	assert.Contains(t, err.Error(), "compressed")
}

func TestWebSocketDeclinedCompression(t *testing.T) {
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) { _, _ = io.Copy(io.Discard, p.c) })
	ws, err := dialPeer(t, c, wsAddr, WebSocketCompression(true))
	require.NoError(t, err, "a server without compression declines; the connection runs uncompressed")
	assert.False(t, ws.compress)
}

func TestWebSocketNoMasking(t *testing.T) {
	for _, agree := range []bool{true, false} {
		frame := make(chan clientFrame, 1)
		c := startWSPeer(t, wsAnswer{noMasking: agree}, func(p *wsPeer) {
			f, err := p.readFrame()
			assert.NoError(t, err)
			frame <- f
			_, _ = io.Copy(io.Discard, p.c)
		})
		ws, err := dialPeer(t, c, wsAddr, WebSocketNoMasking(true))
		require.NoError(t, err)
		_, err = ws.Write([]byte("PING\r\n"))
		require.NoError(t, err)
		f := <-frame
		assert.Equal(t, !agree, f.masked, "frames are unmasked only if the server agreed")
		assert.Equal(t, "PING\r\n", string(f.payload))
	}
}

func TestWebSocketDeadlines(t *testing.T) {
	frame := serverFrame(true, false, wsOpBinary, []byte("0123456789"))
	proceed := make(chan struct{})
	c := startWSPeer(t, wsAnswer{extra: frame[:1]}, func(p *wsPeer) {
		<-proceed
		p.send(t, frame[1:7]) // the header's second byte and 5 payload bytes
		<-proceed
		p.send(t, frame[7:])
		_, _ = io.Copy(io.Discard, p.c)
	})
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	buf := make([]byte, 10)
	// Mid-header: a timeout, and the half-read header is kept.
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = ws.Read(buf)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	proceed <- struct{}{}
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := ws.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "01234", string(buf[:n]))
	// Mid-payload: a timeout, then the rest.
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = ws.Read(buf)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	proceed <- struct{}{}
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadFull(ws, buf[:5])
	require.NoError(t, err)
	assert.Equal(t, "56789", string(buf[:5]))

	// A write deadline that has passed fails without breaking the stream.
	require.NoError(t, ws.SetWriteDeadline(time.Now().Add(-time.Second)))
	_, err = ws.Write([]byte("x"))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, ws.SetWriteDeadline(time.Time{}))
	_, err = ws.Write([]byte("x"))
	assert.NoError(t, err)
}

// A Write that fails after part of a frame went out breaks the stream for good.
func TestWebSocketPartialWriteIsSticky(t *testing.T) {
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) { _, _ = io.Copy(io.Discard, p.c) })
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	f := NewFaulty(ws.conn, 1)
	ws.conn = f
	f.SplitWrites(1)
	f.Throttle(1) // one byte per second: the first piece goes, the deadline hits the next
	require.NoError(t, ws.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	_, err = ws.Write([]byte("hello"))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	f.Heal()
	require.NoError(t, ws.SetWriteDeadline(time.Time{}))
	_, err2 := ws.Write([]byte("again"))
	assert.ErrorIs(t, err2, os.ErrDeadlineExceeded, "the first error stays")
}

func TestWebSocketZeroAlloc(t *testing.T) {
	msg := []byte("PUB foo 16\r\n0123456789abcdef\r\n")
	frame := serverFrame(true, false, wsOpBinary, []byte("MSG foo 1 16\r\n0123456789abcdef\r\n"))
	const runs = 200
	c := startWSPeer(t, wsAnswer{}, func(p *wsPeer) {
		// Everything the client will read, sent before the measurement starts.
		p.send(t, bytes.Repeat(frame, runs+10))
		buf := make([]byte, 64<<10)
		for {
			if _, err := p.c.Read(buf); err != nil {
				return
			}
		}
	})
	ws, err := dialPeer(t, c, wsAddr)
	require.NoError(t, err)
	buf := make([]byte, len(frame)-2)
	_, err = io.ReadFull(ws, buf) // warm up: buffers grown
	require.NoError(t, err)
	_, err = ws.Write(msg)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(runs, func() {
		if _, err := ws.Write(msg); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(ws, buf); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	k := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
	for n := range 70 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 31)
		}
		want := bytes.Clone(b)
		for i := range want {
			want[i] ^= key[i%4]
		}
		maskBytes(k, b)
		assert.Equal(t, want, b, "length %d", n)
	}
}

func TestWebSocketErrorsMatch(t *testing.T) {
	assert.True(t, errors.Is(&WebSocketError{Reason: "x"}, ErrWebSocketProtocol))
	assert.True(t, errors.Is(&HandshakeError{Reason: "x"}, ErrWebSocketHandshake))
	assert.True(t, errors.Is(&CloseError{Code: 1001}, io.EOF))
	assert.Equal(t, "transport: websocket closed by the server: status 1001: Server Shutdown", (&CloseError{Code: 1001, Reason: "Server Shutdown"}).Error())
}
