package harness_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// wsConn is a minimal WebSocket client (RFC 6455, with permessage-deflate on the read
// side) for the harness's own tests.
type wsConn struct {
	c          net.Conn
	r          *bufio.Reader
	compressed bool // the server accepted permessage-deflate
}

// dialWS opens a WebSocket to rawURL (ws:// or wss://), asking for compression when
// compress is set.
func dialWS(rawURL string, tlsCfg *tls.Config, compress bool) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	c, err := net.DialTimeout("tcp", u.Host, rawTimeout)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		tc := tls.Client(c, withServerName(tlsCfg))
		if err := handshake(tc); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	var keyb [16]byte
	rand.Read(keyb[:])
	key := base64.StdEncoding.EncodeToString(keyb[:])
	req := "GET / HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if compress {
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"
	}
	req += "\r\n"
	c.SetDeadline(time.Now().Add(rawTimeout))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("websocket upgrade: status %s", resp.Status)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, fmt.Errorf("websocket upgrade: bad Sec-WebSocket-Accept %q", got)
	}
	return &wsConn{c: c, r: br, compressed: strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")}, nil
}

func (w *wsConn) Close() error { return w.c.Close() }

// readMessage returns the payload of the next data frame (decompressed when the frame
// has RSV1 set) and whether it was compressed.
func (w *wsConn) readMessage() ([]byte, bool, error) {
	w.c.SetReadDeadline(time.Now().Add(rawTimeout))
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return nil, false, err
		}
		rsv1 := h[0]&0x40 != 0
		op := h[0] & 0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, false, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, false, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if h[1]&0x80 != 0 {
			return nil, false, errors.New("websocket: server frame is masked")
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.r, payload); err != nil {
			return nil, false, err
		}
		if op >= 0x8 { // control frames: close, ping, pong
			if op == 0x8 {
				return nil, false, io.EOF
			}
			continue
		}
		if !rsv1 {
			return payload, false, nil
		}
		fr := flate.NewReader(io.MultiReader(bytes.NewReader(payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
		out, err := io.ReadAll(fr)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, true, err
		}
		return out, true, nil
	}
}

// writeMessage sends data in one masked binary frame.
func (w *wsConn) writeMessage(data []byte) error {
	frame := []byte{0x82}
	switch n := len(data); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xffff:
		frame = append(frame, 0x80|126, byte(n>>8), byte(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	frame = append(frame, mask[:]...)
	for i, b := range data {
		frame = append(frame, b^mask[i%4])
	}
	w.c.SetWriteDeadline(time.Now().Add(rawTimeout))
	_, err := w.c.Write(frame)
	return err
}
