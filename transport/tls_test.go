package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// tlsPeer runs server behaviour on the far end of a pipe and returns the near end.
func tlsPeer(t *testing.T, serve func(c Conn)) Conn {
	t.Helper()
	a, b := NewPipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer b.Close()
		serve(b)
	}()
	t.Cleanup(func() { a.Close(); wg.Wait() })
	return a
}

// tlsServe runs a TLS server handshake and then echoes one line.
func tlsServe(cfg *tls.Config) func(Conn) {
	return func(c Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		buf := make([]byte, 64)
		n, err := tc.Read(buf)
		if err == nil {
			_, _ = tc.Write(buf[:n])
		}
		_ = tc.Close()
	}
}

func upgradeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestUpgradeTLSSuccess(t *testing.T) {
	ca := newTestCA(t)
	c := tlsPeer(t, tlsServe(&tls.Config{Certificates: []tls.Certificate{ca.serverLeaf(t)}}))
	f := NewFaulty(c, 1)
	settings, err := NewTLSSettings(WithRootCAs(ca.pool))
	require.NoError(t, err)
	tc, err := UpgradeTLS(upgradeCtx(t), f, settings.Config("127.0.0.1"))
	require.NoError(t, err)
	_, err = tc.Write([]byte("hello"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(tc, buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf))

	state, ok := TLSConnectionState(tc)
	require.True(t, ok)
	assert.True(t, state.HandshakeComplete)
	assert.GreaterOrEqual(t, state.Version, uint16(tls.VersionTLS12))
	_, ok = TLSConnectionState(f)
	assert.False(t, ok, "the plaintext connection under TLS is not TLS")
	_, ok = TLSConnectionState(NewFaulty(tc, 1))
	assert.True(t, ok, "TLS under a FaultConn is found")
}

func TestUpgradeTLSFailuresAreNamed(t *testing.T) {
	ca := newTestCA(t)
	other := newTestCA(t)
	good := ca.serverLeaf(t)
	otherHost, _, _ := ca.leaf(t, leafSpec{dns: []string{"other.example"}})
	expired, _, _ := ca.leaf(t, leafSpec{dns: []string{"localhost"}, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})

	tests := []struct {
		name       string
		server     func(Conn)
		client     []TLSOption
		serverName string
		failure    TLSFailure
		as         func(error) bool
	}{
		{
			name:       "wrong CA",
			server:     tlsServe(&tls.Config{Certificates: []tls.Certificate{good}}),
			client:     []TLSOption{WithRootCAs(other.pool)},
			serverName: "localhost",
			failure:    TLSUnknownAuthority,
			as:         func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) },
		},
		{
			name:       "hostname mismatch",
			server:     tlsServe(&tls.Config{Certificates: []tls.Certificate{otherHost}}),
			client:     []TLSOption{WithRootCAs(ca.pool)},
			serverName: "localhost",
			failure:    TLSHostnameMismatch,
			as:         func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) },
		},
		{
			name:       "expired",
			server:     tlsServe(&tls.Config{Certificates: []tls.Certificate{expired}}),
			client:     []TLSOption{WithRootCAs(ca.pool)},
			serverName: "localhost",
			failure:    TLSCertificateExpired,
			as: func(err error) bool {
				var e x509.CertificateInvalidError
				return errors.As(err, &e) && e.Reason == x509.Expired
			},
		},
		{
			// TLS 1.2 reports a missing client certificate during the handshake (TLS 1.3
			// only on the first read, see TestTLS13ClientCertRejectionOnRead).
			name: "client certificate required",
			server: tlsServe(&tls.Config{
				Certificates: []tls.Certificate{good}, ClientAuth: tls.RequireAndVerifyClientCert,
				ClientCAs: ca.pool, MaxVersion: tls.VersionTLS12,
			}),
			client:     []TLSOption{WithRootCAs(ca.pool)},
			serverName: "localhost",
			failure:    TLSRejectedByServer,
			as:         func(err error) bool { var e *net.OpError; return errors.As(err, &e) && e.Op == "remote error" },
		},
		{
			name: "plaintext server",
			server: func(c Conn) {
				_, _ = c.Write([]byte("INFO {\"server_id\":\"x\"}\r\n"))
				_, _ = io.Copy(io.Discard, c)
			},
			client:     []TLSOption{WithRootCAs(ca.pool)},
			serverName: "localhost",
			failure:    TLSPlaintextServer,
			as:         func(err error) bool { var e tls.RecordHeaderError; return errors.As(err, &e) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tlsPeer(t, tt.server)
			settings, err := NewTLSSettings(tt.client...)
			require.NoError(t, err)
			_, err = UpgradeTLS(upgradeCtx(t), c, settings.Config(tt.serverName))
			require.Error(t, err)
			var te *TLSError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.failure, te.Failure, "%v", err)
			assert.Equal(t, tt.serverName, te.ServerName)
			assert.True(t, tt.as(err), "the crypto error is reachable: %v", err)
			assert.Contains(t, err.Error(), tt.failure.String())
		})
	}
}

func TestTLS13ClientCertRejectionOnRead(t *testing.T) {
	ca := newTestCA(t)
	c := tlsPeer(t, tlsServe(&tls.Config{
		Certificates: []tls.Certificate{ca.serverLeaf(t)}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: ca.pool, MinVersion: tls.VersionTLS13,
	}))
	settings, err := NewTLSSettings(WithRootCAs(ca.pool))
	require.NoError(t, err)
	tc, err := UpgradeTLS(upgradeCtx(t), c, settings.Config("localhost"))
	require.NoError(t, err, "in TLS 1.3 the client finishes before the server checks its certificate")
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = tc.Read(make([]byte, 1))
	var remote *net.OpError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "remote error", remote.Op)
	assert.Contains(t, err.Error(), "certificate required")
}

func TestUpgradeTLSContext(t *testing.T) {
	// A server that accepts the bytes and never answers: the context bounds the wait.
	silent := func(c Conn) { _, _ = io.Copy(io.Discard, c) }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := UpgradeTLS(ctx, tlsPeer(t, silent), (*TLSSettings)(nil).Config("localhost"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)

	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = UpgradeTLS(ctx, tlsPeer(t, silent), (*TLSSettings)(nil).Config("localhost"))
	assert.ErrorIs(t, err, context.Canceled)

	_, err = UpgradeTLS(context.Background(), tlsPeer(t, silent), nil)
	assert.Error(t, err)
}

func TestTLSSettings(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.pem, 0o600))
	cert, certPEM, keyPEM := ca.leaf(t, leafSpec{client: true})
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))

	t.Run("defaults", func(t *testing.T) {
		s, err := NewTLSSettings()
		require.NoError(t, err)
		cfg := s.Config("nats.example.com")
		assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
		assert.Equal(t, "nats.example.com", cfg.ServerName)
		assert.False(t, cfg.InsecureSkipVerify)
		assert.Nil(t, cfg.RootCAs, "system roots")
		assert.False(t, s.HandshakeFirst())
		var nilSettings *TLSSettings
		assert.Equal(t, uint16(tls.VersionTLS12), nilSettings.Config("h").MinVersion)
		assert.False(t, nilSettings.HandshakeFirst())
	})
	t.Run("sources", func(t *testing.T) {
		called := false
		s, err := NewTLSSettings(
			WithRootCAFiles(caFile), WithRootCAPEM(ca.pem), WithRootCAs(x509.NewCertPool()),
			WithClientCertFiles(certFile, keyFile), WithClientCertPEM(certPEM, keyPEM), WithClientCert(cert),
			WithClientCertFunc(func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { called = true; return &cert, nil }),
			WithHandshakeFirst(),
		)
		require.NoError(t, err)
		cfg := s.Config("h")
		require.NotNil(t, cfg.RootCAs)
		assert.Len(t, cfg.Certificates, 3)
		_, err = cfg.GetClientCertificate(nil)
		require.NoError(t, err)
		assert.True(t, called)
		assert.True(t, s.HandshakeFirst())
		assert.NotSame(t, cfg, s.Config("h"), "each connection gets its own copy")
	})
	t.Run("user config kept", func(t *testing.T) {
		base := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, ServerName: "fixed"}
		s, err := NewTLSSettings(WithTLSConfig(base))
		require.NoError(t, err)
		cfg := s.Config("h")
		assert.True(t, cfg.InsecureSkipVerify, "only the user turns verification off")
		assert.Equal(t, uint16(tls.VersionTLS13), cfg.MinVersion)
		assert.Equal(t, "fixed", cfg.ServerName)
		base.ServerName = "changed"
		assert.Equal(t, "fixed", s.Config("h").ServerName, "the base was copied")
	})
	t.Run("server name override", func(t *testing.T) {
		s, err := NewTLSSettings(WithServerName("override"))
		require.NoError(t, err)
		assert.Equal(t, "override", s.Config("10.0.0.1").ServerName)
	})
	t.Run("errors", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.pem")
		require.NoError(t, os.WriteFile(empty, []byte("not pem"), 0o600))
		for name, opt := range map[string]TLSOption{
			"missing CA file":     WithRootCAFiles(filepath.Join(dir, "nope.pem")),
			"CA file without PEM": WithRootCAFiles(empty),
			"CA PEM without cert": WithRootCAPEM([]byte("junk")),
			"missing cert file":   WithClientCertFiles(filepath.Join(dir, "nope"), keyFile),
			"mismatched pair":     WithClientCertPEM(certPEM, ca.pem),
		} {
			_, err := NewTLSSettings(opt)
			assert.Error(t, err, name)
			if err != nil {
				assert.Contains(t, err.Error(), "transport: tls", name)
			}
		}
	})
}

func TestDecideTLS(t *testing.T) {
	tests := []struct {
		name    string
		f       TLSFacts
		upgrade bool
		err     error
	}{
		{"plain both sides", TLSFacts{}, false, nil},
		{"server requires", TLSFacts{ServerRequires: true}, true, nil},
		{"server available only", TLSFacts{ServerAvailable: true}, false, nil},
		{"tls url, server requires", TLSFacts{AddrWantsTLS: true, ServerRequires: true}, true, nil},
		{"tls url, server available", TLSFacts{AddrWantsTLS: true, ServerAvailable: true}, true, nil},
		{"tls url, server without tls", TLSFacts{AddrWantsTLS: true}, false, ErrTLSUnavailable},
		{"tls options, server without tls", TLSFacts{OptionsWantTLS: true}, false, ErrTLSUnavailable},
		{"tls options, server available", TLSFacts{OptionsWantTLS: true, ServerAvailable: true}, true, nil},
		{"handshake-first done", TLSFacts{Secured: true, AddrWantsTLS: true, ServerRequires: true}, false, nil},
		{"wss", TLSFacts{Secured: true, WebSocket: true, AddrWantsTLS: true, ServerRequires: true}, false, nil},
		{"ws plain", TLSFacts{WebSocket: true}, false, nil},
		{"ws with tls options", TLSFacts{WebSocket: true, OptionsWantTLS: true, ServerAvailable: true}, false, ErrTLSUnavailable},
		{"ws, server requires", TLSFacts{WebSocket: true, ServerRequires: true}, false, ErrTLSRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := DecideTLS(tt.f)
			assert.Equal(t, tt.upgrade, up)
			if tt.err == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.err)
			var te *TLSError
			require.ErrorAs(t, err, &te)
			assert.Contains(t, err.Error(), "transport: tls")
		})
	}
}

func TestTLSErrorFrom(t *testing.T) {
	own := &TLSError{Failure: TLSCertificateExpired}
	assert.Same(t, own, TLSErrorFrom(fmt.Errorf("wrapped: %w", own), "h"))
	assert.Nil(t, TLSErrorFrom(nil, "h"))
	assert.Nil(t, TLSErrorFrom(io.EOF, "h"))
	assert.Nil(t, TLSErrorFrom(errors.New("tls: something local"), "h"))
	te := TLSErrorFrom(fmt.Errorf("read: %w", x509.UnknownAuthorityError{}), "h")
	require.NotNil(t, te)
	assert.Equal(t, TLSUnknownAuthority, te.Failure)
	assert.Equal(t, "h", te.ServerName)
	te = TLSErrorFrom(&net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, "h")
	require.NotNil(t, te)
	assert.Equal(t, TLSRejectedByServer, te.Failure)
}

func TestTLSFailureStrings(t *testing.T) {
	for f := TLSHandshakeFailed; f <= TLSCannotUpgrade; f++ {
		assert.NotContains(t, f.String(), "tls failure", "every failure has a text")
	}
	assert.Equal(t, "tls failure 200", TLSFailure(200).String())
}
