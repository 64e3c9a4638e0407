package wscompare

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// echoServer is a minimal WebSocket server that returns every data frame's payload as
// one unmasked binary frame. It allocates nothing per frame, so what a benchmark
// counts is the client's.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func startEcho(tb testing.TB) *echoServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serveEcho(c)
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *echoServer) url() string { return "ws://" + s.ln.Addr().String() }

func serveEcho(c net.Conn) {
	br := bufio.NewReaderSize(c, 4<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	_, err = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(h[:])+"\r\n\r\n")
	if err != nil {
		return
	}
	out := make([]byte, 14+(64<<10))
	var hdr [14]byte
	var key [4]byte
	for {
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return
		}
		op := hdr[0] & 0x0f
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(br, hdr[2:4]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if _, err := io.ReadFull(br, hdr[2:10]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(hdr[2:10])
		}
		masked := hdr[1]&0x80 != 0
		if masked {
			if _, err := io.ReadFull(br, key[:]); err != nil {
				return
			}
		}
		if n > 64<<10 {
			return
		}
		hl := 2
		switch {
		case n > 0xffff:
			hl = 10
			out[1] = 127
			binary.BigEndian.PutUint64(out[2:], n)
		case n > 125:
			hl = 4
			out[1] = 126
			binary.BigEndian.PutUint16(out[2:], uint16(n))
		default:
			out[1] = byte(n)
		}
		out[0] = 0x80 | 0x2
		p := out[hl : hl+int(n)]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if masked {
			for i := range p {
				p[i] ^= key[i&3]
			}
		}
		if op >= 0x8 {
			if op == 0x8 {
				return
			}
			continue // ping/pong: not used by the benchmarks
		}
		if _, err := c.Write(out[:hl+int(n)]); err != nil {
			return
		}
	}
}
