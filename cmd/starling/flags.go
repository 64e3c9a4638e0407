package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/starling-nats/starling/core"
)

// Environment variables read as the nats CLI reads them: each is the
// default of its flag.
const (
	envURL      = "NATS_URL"
	envUser     = "NATS_USER"
	envPassword = "NATS_PASSWORD"
	envToken    = "NATS_TOKEN"
	envCreds    = "NATS_CREDS"
	envNKey     = "NATS_NKEY"
	envCert     = "NATS_CERT"
	envKey      = "NATS_KEY"
	envCA       = "NATS_CA"
	// envDefaultURL replaces defaultURL, where a command looks for a server
	// when none is named and "starling server" listens. It is for tests,
	// which must not depend on what runs on port 4222.
	envDefaultURL = "STARLING_DEFAULT_URL"
)

// defaultURL is where the nats CLI and nats-server meet without being told.
const defaultURL = "nats://127.0.0.1:4222"

// defaultTimeout bounds connecting and requests, as the nats CLI's --timeout.
const defaultTimeout = 5 * time.Second

// connFlags are the connection flags every command shares, named as the
// nats CLI names them.
type connFlags struct {
	server   string
	user     string
	password string
	token    string
	creds    string
	nkey     string
	tlsCert  string
	tlsKey   string
	tlsCA    string
	tlsFirst bool
	timeout  time.Duration
	name     string
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&c.server, "server", "s", "", "NATS server URLs, comma-separated ($"+envURL+"; default "+defaultURL+",\nelse an embedded nats-server for this command)")
	fs.StringVar(&c.user, "user", "", "user name ($"+envUser+"); without --password it is a token")
	fs.StringVar(&c.password, "password", "", "password ($"+envPassword+")")
	fs.StringVar(&c.token, "token", "", "authentication token ($"+envToken+")")
	fs.StringVar(&c.creds, "creds", "", "user JWT and NKey seed from a .creds FILE ($"+envCreds+")")
	fs.StringVar(&c.nkey, "nkey", "", "NKey seed FILE ($"+envNKey+")")
	fs.StringVar(&c.tlsCert, "tlscert", "", "client certificate PEM FILE ($"+envCert+")")
	fs.StringVar(&c.tlsKey, "tlskey", "", "client key PEM FILE ($"+envKey+")")
	fs.StringVar(&c.tlsCA, "tlsca", "", "trust the CA certificates in PEM FILE ($"+envCA+")")
	fs.BoolVar(&c.tlsFirst, "tlsfirst", false, "start TLS before the server's INFO (handshake_first servers)")
	fs.DurationVar(&c.timeout, "timeout", defaultTimeout, "bound on connecting and on each request")
	fs.StringVar(&c.name, "connection-name", "", "connection name the server shows (default \"starling <command>\")")
}

// fromEnv fills every flag left empty from its environment variable.
func (c *connFlags) fromEnv(getenv func(string) string) {
	for _, v := range []struct {
		dst *string
		env string
	}{
		{&c.server, envURL}, {&c.user, envUser}, {&c.password, envPassword}, {&c.token, envToken},
		{&c.creds, envCreds}, {&c.nkey, envNKey}, {&c.tlsCert, envCert}, {&c.tlsKey, envKey}, {&c.tlsCA, envCA},
	} {
		if strings.TrimSpace(*v.dst) == "" {
			*v.dst = strings.TrimSpace(getenv(v.env))
		}
	}
}

// options turns the flags into connection options; cmd is for the usage
// errors.
func (c *connFlags) options(cmd cmdPath) ([]core.Option, error) {
	if c.timeout <= 0 {
		return nil, usageErrorf(cmd, "--timeout must be positive")
	}
	opts := []core.Option{core.WithConnectTimeout(c.timeout)}
	switch {
	case c.password != "" && c.user == "":
		return nil, usageErrorf(cmd, "--password needs --user")
	case c.user != "" && c.password == "":
		// The nats CLI's habit: a user without a password is a token.
		if c.token != "" {
			return nil, usageErrorf(cmd, "--user without --password is a token: give --token or --user, not both")
		}
		opts = append(opts, core.WithToken(c.user))
	case c.user != "":
		opts = append(opts, core.WithUserInfo(c.user, c.password))
	}
	if c.token != "" {
		opts = append(opts, core.WithToken(c.token))
	}
	if c.creds != "" {
		opts = append(opts, core.WithCredentialsFile(c.creds))
	}
	if c.nkey != "" {
		opts = append(opts, core.WithNKeySeedFile(c.nkey))
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return nil, usageErrorf(cmd, "--tlscert and --tlskey go together")
	}
	if c.tlsCA != "" {
		opts = append(opts, core.WithRootCAs(c.tlsCA))
	}
	if c.tlsCert != "" {
		opts = append(opts, core.WithClientCert(c.tlsCert, c.tlsKey))
	}
	if c.tlsFirst {
		opts = append(opts, core.WithTLSHandshakeFirst())
	}
	return opts, nil
}

// secured names the auth and TLS flags given, which an embedded server
// (no authentication, no TLS) could not honour.
func (c *connFlags) secured() []string {
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"--creds", c.creds != ""}, {"--nkey", c.nkey != ""}, {"--user", c.user != ""},
		{"--password", c.password != ""}, {"--token", c.token != ""}, {"--tlsca", c.tlsCA != ""},
		{"--tlscert", c.tlsCert != ""}, {"--tlskey", c.tlsKey != ""}, {"--tlsfirst", c.tlsFirst},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	return set
}

// cmdPath is what usage errors need of a command.
type cmdPath = interface{ CommandPath() string }

// headerFlag collects repeated -H key:value flags, in order.
type headerFlag []string

func (h *headerFlag) String() string { return strings.Join(*h, ", ") }
func (h *headerFlag) Type() string   { return "KEY:VALUE" }

func (h *headerFlag) Set(v string) error {
	k, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q is not key:value", v)
	}
	*h = append(*h, v)
	return nil
}

// header builds the message header, nil when there is none.
func (h headerFlag) header() core.Header {
	if len(h) == 0 {
		return nil
	}
	hdr := core.Header{}
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return hdr
}

// isTerminal reports whether f is an interactive terminal: a character
// device other than /dev/null (which is one too, but nobody types in it).
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}
