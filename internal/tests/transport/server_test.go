package transport_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/starling-nats/starling/transport"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/starling-nats/starling/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the NATS handshake by hand against real nats-servers: transport
// knows no NATS ops, so the test speaks them.

const rawTimeout = 10 * time.Second

type serverInfo struct {
	TLSRequired  bool `json:"tls_required"`
	TLSAvailable bool `json:"tls_available"`
}

// rawNATS reads lines from a connection with a deadline.
type rawNATS struct {
	t  *testing.T
	c  transport.Conn
	br *bufio.Reader
}

func newRaw(t *testing.T, c transport.Conn) *rawNATS {
	return &rawNATS{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawNATS) line() (string, error) {
	_ = r.c.SetReadDeadline(time.Now().Add(rawTimeout))
	defer r.c.SetReadDeadline(time.Time{})
	return r.br.ReadString('\n')
}

// info reads the server's first op, which must be INFO.
func (r *rawNATS) info() serverInfo {
	r.t.Helper()
	l, err := r.line()
	require.NoError(r.t, err)
	require.True(r.t, strings.HasPrefix(l, "INFO "), "first op: %q", l)
	var info serverInfo
	require.NoError(r.t, json.Unmarshal([]byte(l[5:]), &info))
	return info
}

func (r *rawNATS) write(s string) error {
	_ = r.c.SetWriteDeadline(time.Now().Add(rawTimeout))
	defer r.c.SetWriteDeadline(time.Time{})
	_, err := io.WriteString(r.c, s)
	return err
}

// pong waits for PONG, skipping the INFO that may come first or after it.
func (r *rawNATS) pong() error {
	for {
		l, err := r.line()
		if err != nil {
			return err
		}
		switch {
		case l == "PONG\r\n":
			return nil
		case strings.HasPrefix(l, "INFO "), l == "+OK\r\n":
			continue
		default:
			return fmt.Errorf("unexpected %q", l)
		}
	}
}

// connect sends CONNECT and PING and waits for PONG. A second PING makes sure the
// INFO the server sends after the first PONG has been read too, so nothing the tests
// do next is preceded by it.
func (r *rawNATS) connect() error {
	if err := r.write("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\nPING\r\n"); err != nil {
		return err
	}
	if err := r.pong(); err != nil {
		return err
	}
	return r.pong()
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), rawTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustAddr(t *testing.T, s string) transport.Addr {
	t.Helper()
	a, err := transport.ParseAddr(s)
	require.NoError(t, err)
	return a
}

func dial(t *testing.T, d transport.Dialer, addr transport.Addr) transport.Conn {
	t.Helper()
	c, err := d.Dial(dialCtx(t), addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// natsHandshake does what core does: read INFO, decide on TLS, upgrade, CONNECT/PING/PONG.
func natsHandshake(t *testing.T, c transport.Conn, addr transport.Addr, ts *transport.TLSSettings) (transport.Conn, error) {
	t.Helper()
	r := newRaw(t, c)
	info := r.info()
	_, secured := transport.TLSConnectionState(c)
	up, err := transport.DecideTLS(transport.TLSFacts{
		Secured: secured, WebSocket: addr.IsWebSocket(), AddrWantsTLS: addr.WantsTLS(),
		OptionsWantTLS: ts != nil, ServerRequires: info.TLSRequired, ServerAvailable: info.TLSAvailable,
	})
	if err != nil {
		return nil, err
	}
	if up {
		require.Zero(t, r.br.Buffered(), "nothing may follow INFO before the upgrade")
		c, err = transport.UpgradeTLS(dialCtx(t), c, ts.Config(addr.TLSServerName()))
		if err != nil {
			return nil, err
		}
		r = newRaw(t, c)
	}
	return c, r.connect()
}

func TestServerPlainTCP(t *testing.T) {
	s := harness.RunServer(t)
	addr := mustAddr(t, s.ClientURL())
	c := dial(t, transport.NewDialer(), addr)
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
	_, secured := transport.TLSConnectionState(c)
	assert.False(t, secured)
}

func TestServerDialOptions(t *testing.T) {
	s := harness.RunServer(t)
	addr := mustAddr(t, s.ClientURL())
	d := transport.NewDialer(transport.WithNoDelay(false), transport.WithKeepAlive(-1), transport.WithMultipathTCP(true),
		transport.WithLocalAddr(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0)))
	c := dial(t, d, addr)
	assert.Equal(t, "127.0.0.1", c.LocalAddr().(*net.TCPAddr).IP.String())
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
}

func TestServerTLSUpgrade(t *testing.T) {
	s := harness.RunServer(t, harness.WithTLS())
	ts, err := transport.NewTLSSettings(transport.WithRootCAPEM(s.TLS().CAPEM))
	require.NoError(t, err)
	for _, url := range []string{s.ClientURL(), strings.Replace(s.ClientURL(), "nats://", "tls://", 1)} {
		addr := mustAddr(t, url)
		c := dial(t, transport.NewDialer(transport.WithTLS(ts)), addr)
		tc, err := natsHandshake(t, c, addr, ts)
		require.NoError(t, err, url)
		state, ok := transport.TLSConnectionState(tc)
		require.True(t, ok, "upgraded")
		assert.NotEmpty(t, state.VerifiedChains, "verified against the IP address")
	}
	// Verification uses the configured host for an address learned as an IP.
	learned := mustAddr(t, s.ClientURL())
	learned.ServerName = "localhost"
	c := dial(t, transport.NewDialer(), learned)
	tc, err := natsHandshake(t, c, learned, ts)
	require.NoError(t, err)
	state, _ := transport.TLSConnectionState(tc)
	assert.Equal(t, "localhost", state.ServerName)
}

func TestServerTLSFromFiles(t *testing.T) {
	s := harness.RunServer(t, harness.WithTLS(harness.TLSVerifyClients()))
	m := s.TLS()
	ts, err := transport.NewTLSSettings(transport.WithRootCAFiles(m.CAFile), transport.WithClientCertFiles(m.ClientCertFile, m.ClientKeyFile))
	require.NoError(t, err)
	addr := mustAddr(t, s.ClientURL())
	_, err = natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, ts)
	require.NoError(t, err)
}

func TestServerTLSHandshakeFirst(t *testing.T) {
	s := harness.RunServer(t, harness.WithTLS(harness.TLSHandshakeFirst()))
	ts, err := transport.NewTLSSettings(transport.WithRootCAs(s.TLS().CAPool), transport.WithHandshakeFirst())
	require.NoError(t, err)
	addr := mustAddr(t, strings.Replace(s.ClientURL(), "nats://", "tls://", 1))
	c := dial(t, transport.NewDialer(transport.WithTLS(ts)), addr)
	_, secured := transport.TLSConnectionState(c)
	require.True(t, secured, "TLS before the first byte from the server")
	_, err = natsHandshake(t, c, addr, ts)
	require.NoError(t, err)

	// A handshake-first client facing a server that sends INFO first: named, not hung.
	plain := harness.RunServer(t, harness.WithTLS())
	ts2, err := transport.NewTLSSettings(transport.WithRootCAs(plain.TLS().CAPool), transport.WithHandshakeFirst())
	require.NoError(t, err)
	_, err = transport.NewDialer(transport.WithTLS(ts2)).Dial(dialCtx(t), mustAddr(t, plain.ClientURL()))
	var te *transport.TLSError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.TLSPlaintextServer, te.Failure, "%v", err)
}

func TestServerTLSClientCertificate(t *testing.T) {
	s := harness.RunServer(t, harness.WithTLS(harness.TLSVerifyClients()))
	m := s.TLS()
	addr := mustAddr(t, s.ClientURL())

	for name, opt := range map[string]transport.TLSOption{
		"pem":      transport.WithClientCertPEM(m.ClientCertPEM, m.ClientKeyPEM),
		"cert":     transport.WithClientCert(m.ClientCert),
		"callback": transport.WithClientCertFunc(func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &m.ClientCert, nil }),
	} {
		ts, err := transport.NewTLSSettings(transport.WithRootCAs(m.CAPool), opt)
		require.NoError(t, err)
		_, err = natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, ts)
		require.NoError(t, err, name)
	}

	// Without a certificate the server refuses: under TLS 1.3 its alert comes with
	// the first read after the handshake.
	ts, err := transport.NewTLSSettings(transport.WithRootCAs(m.CAPool))
	require.NoError(t, err)
	_, err = natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, ts)
	require.Error(t, err)
	var remote *net.OpError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "remote error", remote.Op)
	assert.Contains(t, err.Error(), "certificate required")
	te := transport.TLSErrorFrom(err, "127.0.0.1")
	require.NotNil(t, te, "the read error is named as a TLS failure")
	assert.Equal(t, transport.TLSRejectedByServer, te.Failure)
}

func TestServerTLSVerificationFailures(t *testing.T) {
	s := harness.RunServer(t, harness.WithTLS())
	addr := mustAddr(t, s.ClientURL())

	wrongCA, err := transport.NewTLSSettings(transport.WithRootCAs(newTestCA(t).pool))
	require.NoError(t, err)
	_, err = natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, wrongCA)
	var te *transport.TLSError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.TLSUnknownAuthority, te.Failure)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown)
	assert.Contains(t, err.Error(), "unknown authority")

	wrongName, err := transport.NewTLSSettings(transport.WithRootCAs(s.TLS().CAPool), transport.WithServerName("nats.example.com"))
	require.NoError(t, err)
	_, err = natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, wrongName)
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.TLSHostnameMismatch, te.Failure)
	var hostname x509.HostnameError
	assert.ErrorAs(t, err, &hostname)
}

func TestServerTLSWantedButNotOffered(t *testing.T) {
	s := harness.RunServer(t) // no TLS
	ts, err := transport.NewTLSSettings()
	require.NoError(t, err)
	for _, tt := range []struct {
		url string
		ts  *transport.TLSSettings
	}{
		{strings.Replace(s.ClientURL(), "nats://", "tls://", 1), nil},
		{s.ClientURL(), ts},
	} {
		addr := mustAddr(t, tt.url)
		_, err := natsHandshake(t, dial(t, transport.NewDialer(), addr), addr, tt.ts)
		assert.ErrorIs(t, err, transport.ErrTLSUnavailable, "never a plaintext fallback")
		var te *transport.TLSError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, transport.TLSNotOffered, te.Failure)
	}
}

func TestServerWebSocket(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket())
	require.True(t, strings.HasPrefix(s.WebSocketURL(), "ws://"))
	addr := mustAddr(t, s.WebSocketURL()+"/some/path")
	c := dial(t, transport.NewDialer(transport.WithWebSocket(transport.WebSocketHeader("Origin", "http://127.0.0.1"))), addr)
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
	pubSubEcho(t, c, 64<<10)
}

func TestServerWebSocketTLS(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket(harness.WSTLS()))
	require.True(t, strings.HasPrefix(s.WebSocketURL(), "wss://"))
	ts, err := transport.NewTLSSettings(transport.WithRootCAs(s.TLS().CAPool))
	require.NoError(t, err)
	addr := mustAddr(t, s.WebSocketURL())
	c := dial(t, transport.NewDialer(transport.WithTLS(ts)), addr)
	state, ok := transport.TLSConnectionState(c)
	require.True(t, ok, "wss runs TLS below the WebSocket")
	assert.True(t, state.HandshakeComplete)
	_, err = natsHandshake(t, c, addr, ts) // INFO says tls_required; no in-protocol upgrade
	require.NoError(t, err)
	pubSubEcho(t, c, 64<<10)

	// The wrong CA is named for wss too.
	wrong, err := transport.NewTLSSettings(transport.WithRootCAs(newTestCA(t).pool))
	require.NoError(t, err)
	_, err = transport.NewDialer(transport.WithTLS(wrong)).Dial(dialCtx(t), addr)
	var te *transport.TLSError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.TLSUnknownAuthority, te.Failure)
}

func TestServerWebSocketCompression(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket(harness.WSCompression()))
	addr := mustAddr(t, s.WebSocketURL())
	c := dial(t, transport.NewDialer(transport.WithWebSocket(transport.WebSocketCompression(true))), addr)
	require.True(t, wsState(t, c).Compressed, "the server accepted permessage-deflate")
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
	pubSubEcho(t, c, 256<<10) // compressed frames both ways

	// Offered to a server without compression: declined, runs uncompressed.
	plain := harness.RunServer(t, harness.WithWebSocket())
	addr = mustAddr(t, plain.WebSocketURL())
	c = dial(t, transport.NewDialer(transport.WithWebSocket(transport.WebSocketCompression(true))), addr)
	assert.False(t, wsState(t, c).Compressed)
	_, err = natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
}

func TestServerWebSocketNoMasking(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket())
	addr := mustAddr(t, s.WebSocketURL())
	c := dial(t, transport.NewDialer(transport.WithWebSocket(transport.WebSocketNoMasking(true))), addr)
	assert.False(t, wsState(t, c).Masked, "nats-server accepts unmasked frames when asked")
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
	pubSubEcho(t, c, 1<<10)
}

func TestServerWebSocketClosedByServer(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket(), harness.WithToken("right"))
	addr := mustAddr(t, s.WebSocketURL())
	c := dial(t, transport.NewDialer(), addr)
	r := newRaw(t, c)
	r.info()
	require.NoError(t, r.write("CONNECT {\"verbose\":false,\"auth_token\":\"wrong\"}\r\nPING\r\n"))
	var err error
	var lines []string
	for err == nil {
		var l string
		l, err = r.line()
		lines = append(lines, l)
	}
	assert.Contains(t, strings.Join(lines, ""), "Authorization Violation")
	var ce *transport.CloseError
	require.ErrorAs(t, err, &ce, "the server's close frame says why: %v", err)
	assert.ErrorIs(t, err, io.EOF)
	assert.NotZero(t, ce.Code)
}

func TestServerIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	s := harness.RunServer(t, harness.WithConfig(fmt.Sprintf("listen: \"[::1]:%d\"\n", port)))
	_ = s
	addr := mustAddr(t, fmt.Sprintf("nats://[::1]:%d", port))
	c := dial(t, transport.NewDialer(), addr)
	assert.Equal(t, "::1", c.RemoteAddr().(*net.TCPAddr).IP.String())
	_, err = natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
}

func TestServerDialErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = transport.NewDialer().Dial(dialCtx(t), mustAddr(t, "nats://u:secret@"+closedPort))
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.NotContains(t, err.Error(), "secret")
	assert.Contains(t, err.Error(), "transport: dial nats://"+closedPort)

	_, err = transport.NewDialer().Dial(dialCtx(t), transport.Addr{Scheme: "http", Host: "h", Port: "1"})
	assert.ErrorIs(t, err, transport.ErrUnsupportedScheme)

	// A listener that accepts and never answers the WebSocket handshake: the context
	// bounds the dial.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = transport.NewDialer().Dial(ctx, mustAddr(t, "ws://"+ln.Addr().String()))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	if c := <-accepted; c != nil {
		c.Close()
	}
}

// pubSubEcho subscribes and publishes size bytes of compressible text to itself on
// the same connection, and reads the MSG back intact.
func pubSubEcho(t *testing.T, c transport.Conn, size int) {
	t.Helper()
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	r := newRaw(t, c)
	require.NoError(t, r.write(fmt.Sprintf("SUB echo 1\r\nPUB echo %d\r\n%s\r\nPING\r\n", len(payload), payload)))
	l, err := r.line()
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("MSG echo 1 %d\r\n", len(payload)), l)
	got := make([]byte, len(payload)+2)
	_ = c.SetReadDeadline(time.Now().Add(rawTimeout))
	_, err = io.ReadFull(r.br, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(payload, got[:len(payload)]))
	require.NoError(t, r.pong())
}

// faulty dials the server through a FaultDialer and completes the NATS handshake.
func faulty(t *testing.T, s *harness.Server, seed int64) (*transport.FaultConn, *rawNATS) {
	t.Helper()
	fd := transport.NewFaultDialer(transport.NewDialer(), seed)
	addr := mustAddr(t, s.ClientURL())
	c := dial(t, fd, addr)
	_, err := natsHandshake(t, c, addr, nil)
	require.NoError(t, err)
	return c.(*transport.FaultConn), newRaw(t, c)
}

func TestServerFaults(t *testing.T) {
	s := harness.RunServer(t)

	t.Run("cut", func(t *testing.T) {
		f, r := faulty(t, s, 1)
		f.Cut()
		assert.ErrorIs(t, r.write("PING\r\n"), transport.ErrCut)
		_, err := r.line()
		assert.ErrorIs(t, err, transport.ErrCut)
	})
	t.Run("blackhole", func(t *testing.T) {
		f, r := faulty(t, s, 1)
		f.Blackhole()
		require.NoError(t, r.write("PING\r\n"), "the write is swallowed")
		require.NoError(t, f.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := r.br.ReadString('\n')
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "no PONG ever comes")
		f.Heal()
		r.br.Reset(f)
		require.NoError(t, r.write("PING\r\n"))
		require.NoError(t, r.pong(), "the link works again after Heal")
	})
	t.Run("delay", func(t *testing.T) {
		const d = 30 * time.Millisecond
		f, r := faulty(t, s, 1)
		f.Delay(d)
		start := time.Now()
		require.NoError(t, r.write("PING\r\n"))
		require.NoError(t, r.pong())
		assert.GreaterOrEqual(t, time.Since(start), 2*d)
	})
	t.Run("throttle", func(t *testing.T) {
		f, r := faulty(t, s, 1)
		f.Throttle(200 << 10) // 200 KiB/s: 40 KiB take at least ~190ms
		payload := strings.Repeat("x", 40<<10)
		start := time.Now()
		require.NoError(t, r.write(fmt.Sprintf("PUB sink %d\r\n%s\r\nPING\r\n", len(payload), payload)))
		require.NoError(t, r.pong())
		assert.GreaterOrEqual(t, time.Since(start), 180*time.Millisecond)
	})
	t.Run("corrupt", func(t *testing.T) {
		f, r := faulty(t, s, 1)
		f.Corrupt(4)
		require.NoError(t, r.write("PING\r\n"))
		l, err := r.line()
		require.NoError(t, err)
		assert.Len(t, l, len("PONG\r\n"))
		assert.NotEqual(t, "PONG\r\n", l, "the first 4 bytes read are damaged")
	})
	t.Run("corrupt under TLS", func(t *testing.T) {
		ts := harness.RunServer(t, harness.WithTLS())
		settings, err := transport.NewTLSSettings(transport.WithRootCAs(ts.TLS().CAPool))
		require.NoError(t, err)
		fd := transport.NewFaultDialer(transport.NewDialer(), 1)
		addr := mustAddr(t, ts.ClientURL())
		c := dial(t, fd, addr)
		tc, err := natsHandshake(t, c, addr, settings)
		require.NoError(t, err)
		fd.Conns()[0].Corrupt(20)
		r := newRaw(t, tc)
		require.NoError(t, r.write("PING\r\n"))
		_, err = r.line()
		require.Error(t, err, "TLS detects the damage")
		assert.Contains(t, err.Error(), "tls")
	})
	t.Run("split writes", func(t *testing.T) {
		f, r := faulty(t, s, 1)
		f.SplitWrites(99)
		payload := strings.Repeat("split!", 1000)
		require.NoError(t, r.write(fmt.Sprintf("SUB s 1\r\nPUB s %d\r\n%s\r\nPING\r\n", len(payload), payload)))
		l, err := r.line()
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("MSG s 1 %d\r\n", len(payload)), l)
		body, err := r.line()
		require.NoError(t, err)
		assert.Equal(t, payload+"\r\n", body, "the server reassembles every piece")
		require.NoError(t, r.pong())
	})
	t.Run("dialer", func(t *testing.T) {
		fd := transport.NewFaultDialer(transport.NewDialer(), 1)
		fd.FailDials(transport.ErrDialRefused)
		_, err := fd.Dial(dialCtx(t), mustAddr(t, s.ClientURL()))
		assert.ErrorIs(t, err, transport.ErrDialRefused)
		fd.FailDials(nil)
		fd.OnDial(func(f *transport.FaultConn) { f.Blackhole() })
		c := dial(t, fd, mustAddr(t, s.ClientURL()))
		require.NoError(t, c.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the INFO never arrives")
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded))
	})
}
