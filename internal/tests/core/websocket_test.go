package core_test

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

func TestWebSocketPlain(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithWebSocket())
	nc := connect(t, s.WebSocketURL())
	assert.Equal(t, s.WebSocketURL(), nc.ConnectedURL())
	authWorks(t, nc)

	// Interoperates with a TCP client of the same server, headers and
	// requests included.
	tcp := connect(t, s.ClientURL())
	echoService(t, tcp, "ws.echo")
	r, err := nc.RequestMsg(testCtx(t, 5*time.Second), &core.Msg{Subject: "ws.echo", Header: core.Header{"K": {"v"}}, Data: []byte("x")})
	require.NoError(t, err)
	assert.Equal(t, "re:x", string(r.Data))
	assert.Equal(t, "v", r.Header.Get("K"))

	// Large messages cross frames whole.
	sub, err := tcp.SubscribeSync("ws.big")
	require.NoError(t, err)
	flush(t, tcp)
	big := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB
	require.NoError(t, nc.Publish("ws.big", big))
	assert.Equal(t, big, next(t, sub).Data)
}

func TestWebSocketTLS(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithWebSocket(harness.WSTLS()))
	require.True(t, strings.HasPrefix(s.WebSocketURL(), "wss://"))
	nc := connect(t, s.WebSocketURL(), core.WithRootCAs(s.TLS().CAFile))
	_, ok := nc.TLSConnectionState()
	assert.True(t, ok, "wss runs TLS")
	authWorks(t, nc)

	_, err := core.Connect(testCtx(t, 5*time.Second), s.WebSocketURL())
	assertTLSFailure(t, err, transport.TLSUnknownAuthority)
}

// wsProxy relays TCP between a client and a server's WebSocket port and
// keeps the first bytes of each direction, so a test can read the opening
// handshake.
type wsProxy struct {
	l        net.Listener
	target   string
	mu       sync.Mutex
	up, down bytes.Buffer
	wg       sync.WaitGroup
	conns    []net.Conn
}

func newWSProxy(t *testing.T, target string) *wsProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &wsProxy{l: l, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *wsProxy) url() string { return "ws://" + p.l.Addr().String() }

func (p *wsProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c, &p.up)
		go p.pipe(c, s, &p.down)
	}
}

func (p *wsProxy) pipe(dst, src net.Conn, rec *bytes.Buffer) {
	defer p.wg.Done()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			if rec.Len() < 64<<10 {
				rec.Write(buf[:n])
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// handshake returns the client's HTTP request and the server's response.
func (p *wsProxy) handshake(t *testing.T) (req, resp string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	up, down := p.up.String(), p.down.String()
	i, j := strings.Index(up, "\r\n\r\n"), strings.Index(down, "\r\n\r\n")
	require.True(t, i > 0 && j > 0, "no HTTP handshake seen")
	return up[:i], down[:j]
}

func TestWebSocketCompression(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithWebSocket(harness.WSCompression()))
	target := strings.TrimPrefix(s.WebSocketURL(), "ws://")

	p := newWSProxy(t, target)
	nc := connect(t, p.url(), core.WithWebSocketCompression())
	authWorks(t, nc)
	// Compressible data survives the round trip.
	sub, err := nc.SubscribeSync("ws.z")
	require.NoError(t, err)
	data := bytes.Repeat([]byte("compress me "), 10000)
	require.NoError(t, nc.Publish("ws.z", data))
	assert.Equal(t, data, next(t, sub).Data)
	req, resp := p.handshake(t)
	assert.Contains(t, strings.ToLower(req), "permessage-deflate", "the client offered compression")
	assert.Contains(t, strings.ToLower(resp), "permessage-deflate", "the server accepted it")
	// 120 KB of repetitive text went up compressed.
	p.mu.Lock()
	upBytes := p.up.Len()
	p.mu.Unlock()
	assert.Less(t, upBytes, 20000)

	// Without the option, no compression is offered.
	p2 := newWSProxy(t, target)
	nc2 := connect(t, p2.url())
	authWorks(t, nc2)
	req, _ = p2.handshake(t)
	assert.NotContains(t, strings.ToLower(req), "permessage-deflate")
}

func TestWebSocketHeadersAndPath(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithWebSocket())
	p := newWSProxy(t, strings.TrimPrefix(s.WebSocketURL(), "ws://"))
	h := http.Header{}
	h.Set("X-Starling-Test", "yes")
	nc := connect(t, p.url(), core.WithWebSocketHeaders(h), core.WithWebSocketPath("/nats/ws"))
	authWorks(t, nc)
	req, _ := p.handshake(t)
	assert.True(t, strings.HasPrefix(req, "GET /nats/ws HTTP/1.1\r\n"), "request line: %q", req)
	assert.Contains(t, req, "X-Starling-Test: yes")
}

func TestWebSocketURLPath(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithWebSocket())
	// A path in the URL goes into the request line.
	p2 := newWSProxy(t, strings.TrimPrefix(s.WebSocketURL(), "ws://"))
	nc2 := connect(t, p2.url()+"/from/url")
	authWorks(t, nc2)
	req, _ := p2.handshake(t)
	assert.True(t, strings.HasPrefix(req, "GET /from/url HTTP/1.1\r\n"), "request line: %q", req)
}
