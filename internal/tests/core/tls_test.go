package core_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

func tlsWorks(t *testing.T, nc *core.Conn) tls.ConnectionState {
	t.Helper()
	st, ok := nc.TLSConnectionState()
	require.True(t, ok, "the session runs TLS")
	assert.True(t, st.HandshakeComplete)
	authWorks(t, nc)
	return st
}

func TestTLSUpgrade(t *testing.T) {
	t.Parallel()
	s := runSysServer(t, harness.WithTLS())
	m := s.TLS()

	t.Run("root CA file", func(t *testing.T) {
		nc := connect(t, s.ClientURL(), core.WithUserInfo("app", "app"), core.WithRootCAs(m.CAFile))
		tlsWorks(t, nc)
		assert.True(t, nc.ServerInfo().TLSRequired)
	})
	t.Run("root CA pool", func(t *testing.T) {
		nc := connect(t, s.ClientURL(), core.WithUserInfo("app", "app"), core.WithRootCAPool(m.CAPool), core.WithName("tls-pool"))
		tlsWorks(t, nc)
		sys := connect(t, s.ClientURL(), core.WithUserInfo("sys", "sys"), core.WithRootCAPool(m.CAPool))
		ci := serverConnNamed(t, sys, "tls-pool")
		assert.NotEmpty(t, ci.TLSVersion, "the server sees a TLS connection")
		assert.False(t, ci.TLSFirst)
	})
	t.Run("tls config", func(t *testing.T) {
		nc := connect(t, s.ClientURL(), core.WithUserInfo("app", "app"), core.WithTLSConfig(&tls.Config{RootCAs: m.CAPool, MinVersion: tls.VersionTLS13}))
		st := tlsWorks(t, nc)
		assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
	})
	t.Run("tls scheme", func(t *testing.T) {
		url := "tls://" + strings.TrimPrefix(s.ClientURL(), "nats://")
		nc := connect(t, url, core.WithUserInfo("app", "app"), core.WithRootCAs(m.CAFile))
		tlsWorks(t, nc)
		assert.Equal(t, url, nc.ConnectedURL())
	})
	t.Run("server requires tls, no options", func(t *testing.T) {
		// The client upgrades because the server says so, and verifies
		// against the system roots, which do not know the harness's CA.
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithUserInfo("app", "app"))
		assertTLSFailure(t, err, transport.TLSUnknownAuthority)
	})
	t.Run("wrong CA", func(t *testing.T) {
		other := harness.RunServer(t, harness.WithTLS())
		start := time.Now()
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithUserInfo("app", "app"), core.WithRootCAs(other.TLS().CAFile))
		assert.Less(t, time.Since(start), 3*time.Second)
		assertTLSFailure(t, err, transport.TLSUnknownAuthority)
		var ua x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &ua)
	})
	t.Run("host name mismatch", func(t *testing.T) {
		cfg := &tls.Config{RootCAs: m.CAPool, ServerName: "not-the-server.example"}
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithUserInfo("app", "app"), core.WithTLSConfig(cfg))
		assertTLSFailure(t, err, transport.TLSHostnameMismatch)
	})
}

func assertTLSFailure(t *testing.T, err error, want transport.TLSFailure) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, core.ErrNoServers)
	var ce *core.ConnectError
	assert.ErrorAs(t, err, &ce)
	var te *transport.TLSError
	if assert.ErrorAs(t, err, &te, "%v", err) {
		assert.Equal(t, want, te.Failure, "%v", err)
	}
}

func TestTLSRequiredByClient(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	// WithTLS against a server without TLS: refused, never a plaintext
	// fallback.
	_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithTLS())
	assert.ErrorIs(t, err, core.ErrTLSRequired)
	assert.ErrorIs(t, err, core.ErrNoServers)
	_, err = core.Connect(testCtx(t, 5*time.Second), "tls://"+strings.TrimPrefix(s.ClientURL(), "nats://"))
	assert.ErrorIs(t, err, core.ErrTLSRequired)
}

func TestTLSClientCert(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS(harness.TLSVerifyClients()))
	m := s.TLS()

	nc := connect(t, s.ClientURL(), core.WithRootCAs(m.CAFile), core.WithClientCert(m.ClientCertFile, m.ClientKeyFile))
	tlsWorks(t, nc)

	var calls int
	nc2 := connect(t, s.ClientURL(), core.WithRootCAPool(m.CAPool), core.WithClientCertFunc(func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		calls++
		return &m.ClientCert, nil
	}))
	tlsWorks(t, nc2)
	assert.Equal(t, 1, calls)

	// Without a certificate the server refuses, and says so at once.
	start := time.Now()
	_, err := core.Connect(testCtx(t, 10*time.Second), s.ClientURL(), core.WithRootCAs(m.CAFile))
	assert.Less(t, time.Since(start), 3*time.Second)
	require.Error(t, err)
	assert.ErrorIs(t, err, core.ErrNoServers)
	var te *transport.TLSError
	if assert.ErrorAs(t, err, &te, "a missing client certificate is a typed TLS error: %v", err) {
		assert.Equal(t, transport.TLSRejectedByServer, te.Failure)
	}
}

func TestTLSHandshakeFirst(t *testing.T) {
	t.Parallel()
	s := runSysServer(t, harness.WithTLS(harness.TLSHandshakeFirst()))
	m := s.TLS()
	nc := connect(t, s.ClientURL(), core.WithUserInfo("app", "app"), core.WithRootCAs(m.CAFile), core.WithTLSHandshakeFirst(), core.WithName("tls-first"))
	tlsWorks(t, nc)
	sys := connect(t, s.ClientURL(), core.WithUserInfo("sys", "sys"), core.WithRootCAs(m.CAFile), core.WithTLSHandshakeFirst())
	assert.True(t, serverConnNamed(t, sys, "tls-first").TLSFirst, "the server saw TLS before INFO")

	// A client waiting for INFO meets a server waiting for a ClientHello:
	// nothing happens until the connect timeout.
	start := time.Now()
	_, err := core.Connect(testCtx(t, 10*time.Second), s.ClientURL(), core.WithUserInfo("app", "app"),
		core.WithRootCAs(m.CAFile), core.WithConnectTimeout(300*time.Millisecond))
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.ErrorIs(t, err, core.ErrNoServers)
	assert.True(t, errors.Is(err, core.ErrTimeout) || errors.As(err, new(*transport.TLSError)), "%v", err)

	// Handshake-first against a server that sends INFO first: typed.
	plain := harness.RunServer(t, harness.WithTLS())
	_, err = core.Connect(testCtx(t, 10*time.Second), plain.ClientURL(), core.WithRootCAs(plain.TLS().CAFile), core.WithTLSHandshakeFirst())
	assertTLSFailure(t, err, transport.TLSPlaintextServer)
}

// TestTLSNotRequiredByServer checks that a server offering TLS without
// requiring it (allow_non_tls) is used in plaintext unless the client asks.
func TestTLSNotRequiredByServer(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS(), harness.WithConfig("allow_non_tls: true"))
	nc := connect(t, s.ClientURL())
	_, ok := nc.TLSConnectionState()
	assert.False(t, ok)
	info := nc.ServerInfo()
	assert.True(t, info.TLSAvailable)
	authWorks(t, nc)

	nc2 := connect(t, s.ClientURL(), core.WithRootCAs(s.TLS().CAFile))
	tlsWorks(t, nc2)
}
