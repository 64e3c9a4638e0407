package transport

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want Addr
		str  string
	}{
		{"nats://demo.nats.io:4222", Addr{Scheme: "nats", Host: "demo.nats.io", Port: "4222"}, "nats://demo.nats.io:4222"},
		{"nats://demo.nats.io", Addr{Scheme: "nats", Host: "demo.nats.io", Port: "4222"}, "nats://demo.nats.io:4222"},
		{"NATS://Demo.nats.io:5222", Addr{Scheme: "nats", Host: "Demo.nats.io", Port: "5222"}, "nats://Demo.nats.io:5222"},
		{"tls://10.0.0.1", Addr{Scheme: "tls", Host: "10.0.0.1", Port: "4222"}, "tls://10.0.0.1:4222"},
		{"ws://example.com", Addr{Scheme: "ws", Host: "example.com", Port: "80"}, "ws://example.com:80"},
		{"wss://example.com", Addr{Scheme: "wss", Host: "example.com", Port: "443"}, "wss://example.com:443"},
		{"wss://example.com:8443/nats/ws?x=1&y=2", Addr{Scheme: "wss", Host: "example.com", Port: "8443", Path: "/nats/ws?x=1&y=2"}, "wss://example.com:8443/nats/ws?x=1&y=2"},
		{"ws://example.com?x=1", Addr{Scheme: "ws", Host: "example.com", Port: "80", Path: "/?x=1"}, "ws://example.com:80/?x=1"},
		{"ws://example.com/a%20b", Addr{Scheme: "ws", Host: "example.com", Port: "80", Path: "/a%20b"}, "ws://example.com:80/a%20b"},
		{"nats://host:4222/ignored", Addr{Scheme: "nats", Host: "host", Port: "4222"}, "nats://host:4222"},
		{"127.0.0.1:4333", Addr{Scheme: "nats", Host: "127.0.0.1", Port: "4333"}, "nats://127.0.0.1:4333"},
		{"localhost", Addr{Scheme: "nats", Host: "localhost", Port: "4222"}, "nats://localhost:4222"},
		{"  localhost:1 ", Addr{Scheme: "nats", Host: "localhost", Port: "1"}, "nats://localhost:1"},
		{"nats://[::1]:4222", Addr{Scheme: "nats", Host: "::1", Port: "4222"}, "nats://[::1]:4222"},
		{"nats://[::1]", Addr{Scheme: "nats", Host: "::1", Port: "4222"}, "nats://[::1]:4222"},
		{"[2001:db8::1]:5000", Addr{Scheme: "nats", Host: "2001:db8::1", Port: "5000"}, "nats://[2001:db8::1]:5000"},
		{"::1", Addr{Scheme: "nats", Host: "::1", Port: "4222"}, "nats://[::1]:4222"},
		{"fe80::1%eth0", Addr{Scheme: "nats", Host: "fe80::1%eth0", Port: "4222"}, "nats://[fe80::1%25eth0]:4222"},
		{"ws://[::1]:8080/ws", Addr{Scheme: "ws", Host: "::1", Port: "8080", Path: "/ws"}, "ws://[::1]:8080/ws"},
		{"nats://derek:s3cr%40t@host:4222", Addr{Scheme: "nats", Host: "host", Port: "4222", User: "derek", Password: "s3cr@t"}, "nats://host:4222"},
		{"nats://derek:@host", Addr{Scheme: "nats", Host: "host", Port: "4222", User: "derek"}, "nats://host:4222"},
		{"tls://t0k3n@host", Addr{Scheme: "tls", Host: "host", Port: "4222", Token: "t0k3n"}, "tls://host:4222"},
		{"user:pass@127.0.0.1:4222", Addr{Scheme: "nats", Host: "127.0.0.1", Port: "4222", User: "user", Password: "pass"}, "nats://127.0.0.1:4222"},
		{"wss://tok@[::1]/p", Addr{Scheme: "wss", Host: "::1", Port: "443", Path: "/p", Token: "tok"}, "wss://[::1]:443/p"},
		{"nats:4222", Addr{Scheme: "nats", Host: "nats", Port: "4222"}, "nats://nats:4222"},
		{"nats://host:04222", Addr{Scheme: "nats", Host: "host", Port: "4222"}, "nats://host:4222"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddr(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.str, got.String())
		})
	}
}

func TestParseAddrErrors(t *testing.T) {
	tests := []struct {
		in       string
		sentinel error
		reason   string
	}{
		{"", ErrInvalidAddr, "empty"},
		{"   ", ErrInvalidAddr, "empty"},
		{"http://host:4222", ErrUnsupportedScheme, `unsupported scheme "http"`},
		{"nats://", ErrInvalidAddr, "missing host"},
		{"nats://:4222", ErrInvalidAddr, "missing host"},
		{"nats://host:0", ErrInvalidAddr, "invalid port"},
		{"nats://host:65536", ErrInvalidAddr, "invalid port"},
		{"nats://host:port", ErrInvalidAddr, "invalid port"},
		{"nats:host:4222", ErrInvalidAddr, "missing //"},
		{"nats://ho st:4222", ErrInvalidAddr, "invalid character"},
		{"nats://[::1:4222", ErrInvalidAddr, "missing ']'"},
		{"X::", ErrInvalidAddr, "invalid IPv6 address"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseAddr(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidAddr)
			assert.ErrorIs(t, err, tt.sentinel)
			var ae *AddrError
			require.ErrorAs(t, err, &ae)
			assert.Contains(t, err.Error(), tt.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "transport: "), err.Error())
		})
	}
}

// Credentials are returned to the caller and never printed, whatever prints them.
func TestAddrNeverPrintsCredentials(t *testing.T) {
	const secret = "hunter2"
	for _, in := range []string{
		"nats://alice:" + secret + "@host:4222",
		"tls://" + secret + "@host",
		"wss://bob:" + secret + "@[::1]:443/ws",
		"alice:" + secret + "@host",
	} {
		a, err := ParseAddr(in)
		require.NoError(t, err, in)
		require.True(t, a.Password == secret || a.Token == secret, "credentials must be returned")
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("connect", "addr", a)
		for _, out := range []string{
			a.String(), a.GoString(),
			fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s %q %x %d", a, a, a, a, a, a, a),
			fmt.Sprintf("%v", &a), fmt.Sprintf("%+v", []Addr{a}), fmt.Sprintf("%v", struct{ A Addr }{a}),
			logged.String(),
		} {
			assert.NotContains(t, out, secret, in)
		}
	}
	// Errors about malformed input carry no credentials either.
	for _, in := range []string{
		"nats://alice:" + secret + "@host:99999",
		"nats://alice:" + secret + "@ho st",
		"http://alice:" + secret + "@host",
		"alice:" + secret + "@:4222",
		"nats://" + secret + "@[::1",
	} {
		_, err := ParseAddr(in)
		require.Error(t, err, in)
		assert.NotContains(t, err.Error(), secret, in)
		var ae *AddrError
		require.True(t, errors.As(err, &ae))
		assert.NotContains(t, ae.Input, secret)
		assert.Contains(t, ae.Input, "redacted")
	}
}

func TestAddrPredicates(t *testing.T) {
	for _, tt := range []struct {
		in             string
		ws, tls        bool
		serverName, hp string
	}{
		{"nats://h", false, false, "h", "h:4222"},
		{"tls://h", false, true, "h", "h:4222"},
		{"ws://h", true, false, "h", "h:80"},
		{"wss://h", true, true, "h", "h:443"},
		{"nats://[fe80::1%25eth0]:1", false, false, "fe80::1", "[fe80::1%eth0]:1"},
	} {
		a, err := ParseAddr(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.ws, a.IsWebSocket(), tt.in)
		assert.Equal(t, tt.tls, a.WantsTLS(), tt.in)
		assert.Equal(t, tt.serverName, a.TLSServerName(), tt.in)
		assert.Equal(t, tt.hp, a.HostPort(), tt.in)
	}
	// An address learned from INFO keeps the configured host for TLS verification.
	learned, err := ParseAddr("10.1.2.3:4222")
	require.NoError(t, err)
	learned.ServerName = "nats.example.com"
	assert.Equal(t, "nats.example.com", learned.TLSServerName())
	assert.Equal(t, "10.1.2.3:4222", learned.HostPort())
}

func TestRedactUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"nats://a:b@h/p@x":  "nats://redacted@h/p@x",
		"a:b@h":             "redacted@h",
		"nats://h:1":        "nats://h:1",
		"ws://a@b@h:1?x=@y": "ws://redacted@h:1?x=@y",
	} {
		assert.Equal(t, want, redactUserinfo(in), in)
	}
}

// FuzzParseAddr: no input panics, errors are *AddrError, and String parses back to the
// same address without its credentials.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{
		"nats://a:b@host:4222", "tls://tok@[::1]", "ws://h/p?q=1", "wss://h:8443", "localhost",
		"::1", "fe80::1%eth0", "nats:4222", "nats://[::1", "http://x", "nats://h:0", "ws://h/a%20b#frag",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddr(s)
		if err != nil {
			var ae *AddrError
			if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidAddr) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		b, err := ParseAddr(a.String())
		if err != nil {
			t.Fatalf("String %q of %q does not parse: %v", a.String(), s, err)
		}
		a.User, a.Password, a.Token = "", "", ""
		if a != b {
			t.Fatalf("%q: %#v re-parsed as %#v", s, a, b)
		}
	})
}
