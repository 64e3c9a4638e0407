package transport

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The schemes an Addr can have.
const (
	SchemeNATS = "nats" // plain TCP; TLS only if the server or the client asks for it after INFO
	SchemeTLS  = "tls"  // TCP that must become TLS (upgrade after INFO, or handshake-first)
	SchemeWS   = "ws"   // WebSocket over plain TCP
	SchemeWSS  = "wss"  // WebSocket over TLS
)

// Default ports, used when an address names none.
const (
	DefaultPort    = "4222" // nats:// and tls://, and bare host[:port]
	DefaultWSPort  = "80"   // ws://
	DefaultWSSPort = "443"  // wss://
)

// Addr is a parsed server address. Build one with ParseAddr, or fill it directly (for
// example from an INFO connect_urls entry, setting ServerName to the host the user
// configured so that TLS still verifies that name).
//
// The credentials (User, Password, Token) are returned to the caller but never
// printed: String, GoString, every fmt verb and slog show the address without them.
type Addr struct {
	Scheme string // SchemeNATS, SchemeTLS, SchemeWS or SchemeWSS
	Host   string // host name or IP literal, without brackets; an IPv6 zone stays ("fe80::1%eth0")
	Port   string // decimal port; ParseAddr fills in the default
	// Path is the WebSocket request target: the URL's escaped path and its query
	// ("/nats?x=1"); empty means "/". It is empty for nats:// and tls://.
	Path string

	// User and Password come from "user:pass@" userinfo, Token from "token@" (userinfo
	// without a colon).
	User, Password, Token string

	// ServerName, when set, is the name TLS verifies instead of Host. Set it for
	// addresses learned from the server (INFO connect_urls), which are often IP
	// addresses, to the host of the address the user configured.
	ServerName string
}

// ParseAddr parses nats://, tls://, ws:// and wss:// URLs and bare "host[:port]"
// (scheme nats). Schemes are case-insensitive; a missing port becomes DefaultPort,
// DefaultWSPort or DefaultWSSPort; IPv6 literals are written in brackets in URLs
// ("nats://[::1]:4222") and may be bare without a port ("::1"). Userinfo
// "user:pass@" fills User and Password, "token@" fills Token, both percent-decoded.
//
// Errors are *AddrError values matching ErrInvalidAddr (and ErrUnsupportedScheme for
// an unknown scheme); they never contain the userinfo.
func ParseAddr(s string) (Addr, error) {
	in := strings.TrimSpace(s)
	fail := func(reason string, sentinel error) (Addr, error) {
		return Addr{}, &AddrError{Input: redactUserinfo(in), Reason: reason, Err: sentinel}
	}
	if in == "" {
		return fail("empty address", ErrInvalidAddr)
	}
	raw := in
	if !strings.Contains(raw, "://") {
		// "nats:4222" is a host named nats (a container name); "nats:host" lacks "//".
		if scheme, rest, ok := strings.Cut(raw, ":"); ok && knownScheme(strings.ToLower(scheme)) && !allDigits(rest) {
			return fail("missing // after the scheme", ErrInvalidAddr)
		}
		// A bare IPv6 literal has colons that would read as a port.
		if ip, _, _ := strings.Cut(raw, "%"); strings.Count(raw, ":") > 1 && net.ParseIP(ip) != nil {
			raw = "[" + strings.Replace(raw, "%", "%25", 1) + "]"
		}
		raw = SchemeNATS + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole input, userinfo included: keep only its reason.
		var ue *url.Error
		reason := "malformed url"
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		return fail(reason, ErrInvalidAddr)
	}
	a := Addr{Scheme: strings.ToLower(u.Scheme)}
	switch a.Scheme {
	case SchemeNATS, SchemeTLS:
		a.Port = DefaultPort
	case SchemeWS:
		a.Port = DefaultWSPort
	case SchemeWSS:
		a.Port = DefaultWSSPort
	default:
		return fail("unsupported scheme "+strconv.Quote(u.Scheme)+" (want nats, tls, ws or wss)", ErrUnsupportedScheme)
	}
	a.Host = u.Hostname()
	if a.Host == "" {
		return fail("missing host", ErrInvalidAddr)
	}
	if ip, _, _ := strings.Cut(a.Host, "%"); strings.Contains(a.Host, ":") && net.ParseIP(ip) == nil {
		return fail("invalid IPv6 address "+strconv.Quote(a.Host), ErrInvalidAddr)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("invalid port "+strconv.Quote(p), ErrInvalidAddr)
		}
		a.Port = strconv.Itoa(n)
	}
	if u.User != nil {
		name := u.User.Username()
		if pass, ok := u.User.Password(); ok {
			a.User, a.Password = name, pass
		} else {
			a.Token = name
		}
	}
	if a.IsWebSocket() {
		a.Path = u.EscapedPath()
		if u.RawQuery != "" {
			if a.Path == "" {
				a.Path = "/"
			}
			a.Path += "?" + u.RawQuery
		}
	}
	return a, nil
}

func knownScheme(s string) bool {
	return s == SchemeNATS || s == SchemeTLS || s == SchemeWS || s == SchemeWSS
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// HostPort returns "host:port", with IPv6 literals in brackets: the address to dial.
func (a Addr) HostPort() string { return net.JoinHostPort(a.Host, a.Port) }

// String returns the address as a URL without userinfo, for logs and errors:
// "nats://127.0.0.1:4222", "wss://example.com:443/nats". An IPv6 zone is written "%25"
// as URLs require, so ParseAddr reads String back.
func (a Addr) String() string {
	scheme := a.Scheme
	if scheme == "" {
		scheme = SchemeNATS
	}
	return scheme + "://" + net.JoinHostPort(strings.Replace(a.Host, "%", "%25", 1), a.Port) + a.Path
}

// GoString is String: %#v must not print the credentials either.
func (a Addr) GoString() string { return "transport.Addr(" + strconv.Quote(a.String()) + ")" }

// Format prints String for every verb (and GoString for %#v), so no verb reveals the
// credentials.
func (a Addr) Format(f fmt.State, verb rune) {
	s := a.String()
	switch {
	case verb == 'v' && f.Flag('#'):
		s = a.GoString()
	case verb == 'q':
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue makes slog log the redacted String.
func (a Addr) LogValue() slog.Value { return slog.StringValue(a.String()) }

// IsWebSocket reports whether the address is ws:// or wss://. Over WebSocket the
// in-protocol TLS upgrade is never run: TLS, if any, belongs to the WebSocket layer.
func (a Addr) IsWebSocket() bool { return a.Scheme == SchemeWS || a.Scheme == SchemeWSS }

// WantsTLS reports whether the address itself demands TLS (tls:// or wss://).
func (a Addr) WantsTLS() bool { return a.Scheme == SchemeTLS || a.Scheme == SchemeWSS }

// TLSServerName is the name TLS verifies the server certificate against: ServerName if
// set, otherwise Host (without an IPv6 zone).
func (a Addr) TLSServerName() string {
	if a.ServerName != "" {
		return a.ServerName
	}
	if i := strings.IndexByte(a.Host, '%'); i >= 0 {
		return a.Host[:i]
	}
	return a.Host
}

// redactUserinfo replaces the userinfo of a URL-like string with "redacted" so the
// string can appear in an error.
func redactUserinfo(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s
	}
	return s[:start] + "redacted" + s[start+at:]
}
