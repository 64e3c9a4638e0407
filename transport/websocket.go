package transport

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Defaults of the WebSocket options, each named by the option that changes it.
const (
	// DefaultWebSocketCompression: permessage-deflate is not offered. Compression
	// costs CPU on both ends and pays only on slow links with compressible payloads.
	DefaultWebSocketCompression = false
	// DefaultWebSocketNoMasking: client frames are masked, as RFC 6455 requires.
	DefaultWebSocketNoMasking = false
	// DefaultWebSocketMaxFrame is the largest payload of one frame the client sends: a
	// Write larger than this goes out as several frames (the server sees one byte
	// stream either way).
	DefaultWebSocketMaxFrame = 64 << 10
	// DefaultWebSocketCompressMin is the smallest Write that is compressed when
	// compression is on; smaller writes go out uncompressed, where deflate's framing
	// would cost more than it saves.
	DefaultWebSocketCompressMin = 128
)

// maxCompressedMessage bounds a compressed message from the server, which must be
// buffered whole before it is inflated (uncompressed frames are streamed and have no
// limit). It is nats-server's own limit for what a client may send it.
const maxCompressedMessage = 64 << 20

// maxHandshakeResponse bounds the server's HTTP response to the opening handshake.
const maxHandshakeResponse = 64 << 10

// webSocketGUID is the fixed GUID of RFC 6455 section 1.3.
const webSocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// WebSocketOption configures ws:// and wss:// connections (WithWebSocket).
type WebSocketOption func(*webSocketConfig)

type webSocketConfig struct {
	path        string
	header      http.Header
	compression bool
	noMasking   bool
}

func defaultWebSocketConfig() webSocketConfig {
	return webSocketConfig{compression: DefaultWebSocketCompression, noMasking: DefaultWebSocketNoMasking}
}

// WebSocketPath sends path as the request target instead of the address's Path, for
// a server behind a proxy that routes on the path. Default: the address's Path, or "/".
func WebSocketPath(path string) WebSocketOption {
	return func(c *webSocketConfig) { c.path = path }
}

// WebSocketHeader adds a header to the opening handshake (Origin, Cookie for
// nats-server's jwt_cookie/user_cookie/…, Authorization for a proxy). The headers the
// handshake sets itself (Upgrade, Connection, Sec-WebSocket-*) cannot be given; Host
// can, and replaces the address's host. Default: no extra headers.
func WebSocketHeader(key, value string) WebSocketOption {
	return func(c *webSocketConfig) {
		c.header = cloneHeader(c.header)
		c.header.Add(key, value)
	}
}

// WebSocketHeaders adds every header of h (see WebSocketHeader).
func WebSocketHeaders(h http.Header) WebSocketOption {
	return func(c *webSocketConfig) {
		c.header = cloneHeader(c.header)
		for k, vs := range h {
			for _, v := range vs {
				c.header.Add(k, v)
			}
		}
	}
}

// WebSocketCompression offers permessage-deflate with server_no_context_takeover and
// client_no_context_takeover, as nats-server expects. A server without compression
// configured declines and the connection runs uncompressed; a server that accepts
// without both parameters fails the dial with a *HandshakeError, since a shared
// compression context is not something this client keeps. Default:
// DefaultWebSocketCompression.
func WebSocketCompression(on bool) WebSocketOption {
	return func(c *webSocketConfig) { c.compression = on }
}

// WebSocketNoMasking asks the server (with nats-server's "Nats-No-Masking" header) to
// accept unmasked client frames, which saves a pass over every byte sent. Frames stay
// masked unless the server agrees. Only for connections no browser-era intermediary
// sees. Default: DefaultWebSocketNoMasking.
func WebSocketNoMasking(on bool) WebSocketOption {
	return func(c *webSocketConfig) { c.noMasking = on }
}

func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h.Clone()
}

// reservedHeaders are set by the handshake and may not be given by the user.
var reservedHeaders = []string{
	"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
	"Sec-Websocket-Extensions", "Sec-Websocket-Accept", "Nats-No-Masking",
}

// aLongTimeAgo is a deadline in the past, used to interrupt a blocked Read or Write.
var aLongTimeAgo = time.Unix(1, 0)

// dialWebSocket runs the RFC 6455 opening handshake over c (TCP or TLS) and returns
// the WebSocket connection.
func dialWebSocket(ctx context.Context, c net.Conn, addr Addr, cfg *webSocketConfig) (Conn, error) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req, err := buildHandshake(addr, cfg, key)
	if err != nil {
		return nil, err
	}

	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(aLongTimeAgo) })
	ws, err := handshake(c, req, key, cfg)
	if !stop() {
		return nil, ctx.Err()
	}
	_ = c.SetDeadline(time.Time{})
	if err != nil {
		if ctxErr := contextCause(ctx, err); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	return ws, nil
}

func buildHandshake(addr Addr, cfg *webSocketConfig, key string) ([]byte, error) {
	target := addr.Path
	if cfg.path != "" {
		target = cfg.path
	}
	if target == "" {
		target = "/"
	}
	if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\x00") {
		return nil, &HandshakeError{Reason: fmt.Sprintf("invalid request path %q", target)}
	}
	host := addr.Host
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // a zone means nothing to the server
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if !(addr.Scheme == SchemeWS && addr.Port == DefaultWSPort) && !(addr.Scheme == SchemeWSS && addr.Port == DefaultWSSPort) {
		host += ":" + addr.Port
	}
	keys := make([]string, 0, len(cfg.header))
	for k := range cfg.header {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if slices.Contains(reservedHeaders, ck) {
			return nil, &HandshakeError{Reason: fmt.Sprintf("header %q is set by the handshake itself", k)}
		}
		if !validHeaderName(k) {
			return nil, &HandshakeError{Reason: fmt.Sprintf("invalid header name %q", k)}
		}
		for _, v := range cfg.header[k] {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, &HandshakeError{Reason: fmt.Sprintf("invalid value for header %q", k)}
			}
		}
		if ck == "Host" {
			if vs := cfg.header[k]; len(vs) > 0 {
				host = vs[0]
			}
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	b := make([]byte, 0, 256)
	b = append(b, "GET "...)
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	b = append(b, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if cfg.compression {
		b = append(b, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"...)
	}
	if cfg.noMasking {
		b = append(b, "Nats-No-Masking: true\r\n"...)
	}
	for _, k := range keys {
		for _, v := range cfg.header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...), nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func handshake(c net.Conn, req []byte, key string, cfg *webSocketConfig) (*wsConn, error) {
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	// The limit keeps a hostile server from growing the response without bound; all
	// that the reader takes from c is the response or buffered frames after it.
	lr := &io.LimitedReader{R: c, N: maxHandshakeResponse}
	br := bufio.NewReaderSize(lr, wsReadBuffer)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		var ne net.Error
		switch {
		case lr.N == 0:
			return nil, &HandshakeError{Reason: fmt.Sprintf("response larger than %d bytes", maxHandshakeResponse)}
		case errors.As(err, &ne) || errors.Is(err, net.ErrClosed):
			return nil, err
		}
		return nil, &HandshakeError{Reason: "invalid http response: " + err.Error()}
	}
	// A 101 response has no body; anything else is a refusal whose body we do not need.
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, &HandshakeError{StatusCode: resp.StatusCode, Reason: "server refused the upgrade: " + resp.Status}
	}
	fail := func(reason string) (*wsConn, error) {
		return nil, &HandshakeError{StatusCode: resp.StatusCode, Reason: reason}
	}
	if !headerHasToken(resp.Header, "Upgrade", "websocket") {
		return fail("response lacks Upgrade: websocket")
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return fail("response lacks Connection: Upgrade")
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		return fail("wrong Sec-WebSocket-Accept")
	}
	compress, err := checkExtensions(resp.Header, cfg.compression)
	if err != nil {
		return fail(err.Error())
	}
	mask := !(cfg.noMasking && strings.EqualFold(resp.Header.Get("Nats-No-Masking"), "true"))

	ws := newWSConn(c, mask, compress)
	// The server sends INFO right behind the 101 response: whatever the HTTP reader
	// buffered belongs to the frame stream.
	if n := br.Buffered(); n > 0 {
		rest, _ := br.Peek(n)
		ws.rend = copy(ws.rbuf, rest)
	}
	return ws, nil
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + webSocketGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkExtensions validates the server's Sec-WebSocket-Extensions and reports whether
// permessage-deflate is on.
func checkExtensions(h http.Header, offered bool) (bool, error) {
	var exts []string
	for _, v := range h.Values("Sec-WebSocket-Extensions") {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				exts = append(exts, e)
			}
		}
	}
	if len(exts) == 0 {
		return false, nil // not offered, or the server declined: uncompressed
	}
	if !offered {
		return false, fmt.Errorf("server enabled extension %q that was not offered", exts[0])
	}
	if len(exts) > 1 {
		return false, fmt.Errorf("server enabled %d extensions, only permessage-deflate was offered", len(exts))
	}
	params := strings.Split(exts[0], ";")
	if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
		return false, fmt.Errorf("server enabled extension %q that was not offered", strings.TrimSpace(params[0]))
	}
	var serverNoCtx, clientNoCtx bool
	for _, p := range params[1:] {
		p = strings.TrimSpace(p)
		name, _, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "server_no_context_takeover":
			serverNoCtx = true
		case "client_no_context_takeover":
			clientNoCtx = true
		case "server_max_window_bits":
			// A smaller server window is decoded by a full-window inflater.
		default:
			return false, fmt.Errorf("server answered permessage-deflate with unsupported parameter %q", p)
		}
	}
	if !serverNoCtx || !clientNoCtx {
		return false, errors.New("server accepted permessage-deflate without both server_no_context_takeover and client_no_context_takeover")
	}
	return true, nil
}
