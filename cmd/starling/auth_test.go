package main_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// authCase is a server that wants something of its clients, and the same
// thing said as flags and as the nats CLI's environment variables.
type authCase struct {
	name  string
	start func(t *testing.T) (s *harness.Server, flags []string, env map[string]string)
	// refused is printed when the client says nothing.
	refused string
}

func authCases() []authCase {
	return []authCase{
		{"user and password", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithUser("alice", "s3cret"))
			return s, []string{"--user", "alice", "--password", "s3cret"}, map[string]string{"NATS_USER": "alice", "NATS_PASSWORD": "s3cret"}
		}, "server error: Authorization Violation"},
		{"token", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithToken("t0ken"))
			return s, []string{"--token", "t0ken"}, map[string]string{"NATS_TOKEN": "t0ken"}
		}, "server error: Authorization Violation"},
		{"user alone is a token", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithToken("t0ken"))
			return s, []string{"--user", "t0ken"}, map[string]string{"NATS_USER": "t0ken"}
		}, "server error: Authorization Violation"},
		{"nkey", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			kp, err := nkeys.CreateUser()
			require.NoError(t, err)
			pub, err := kp.PublicKey()
			require.NoError(t, err)
			seed, err := kp.Seed()
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "user.nk")
			require.NoError(t, os.WriteFile(file, seed, 0o600))
			s := startServer(t, harness.WithNKeyUser(pub))
			return s, []string{"--nkey", file}, map[string]string{"NATS_NKEY": file}
		}, "server error: Authorization Violation"},
		{"creds", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithOperator())
			return s, []string{"--creds", s.CredsFile()}, map[string]string{"NATS_CREDS": s.CredsFile()}
		}, "server error: Authorization Violation"},
		{"TLS", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithTLS())
			ca := s.TLS().CAFile
			return s, []string{"--tlsca", ca}, map[string]string{"NATS_CA": ca}
		}, "x509: certificate signed by unknown authority"},
		{"mutual TLS", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithTLS(harness.TLSVerifyClients()))
			m := s.TLS()
			return s, []string{"--tlsca", m.CAFile, "--tlscert", m.ClientCertFile, "--tlskey", m.ClientKeyFile},
				map[string]string{"NATS_CA": m.CAFile, "NATS_CERT": m.ClientCertFile, "NATS_KEY": m.ClientKeyFile}
		}, "x509: certificate signed by unknown authority"},
		{"TLS handshake first", func(t *testing.T) (*harness.Server, []string, map[string]string) {
			s := startServer(t, harness.WithTLS(harness.TLSHandshakeFirst()))
			ca := s.TLS().CAFile
			return s, []string{"--tlsca", ca, "--tlsfirst"}, map[string]string{"NATS_CA": ca}
		}, "TLS first, add --tlsfirst)"},
	}
}

// Each way of proving who the client is works as a flag (the subscriber)
// and as an environment variable (the publisher, NATS_URL included), and
// saying nothing fails with exit 1 and one line.
func TestAuthAndTLS(t *testing.T) {
	t.Parallel()
	for _, c := range authCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, flags, env := c.start(t)
			url := s.ClientURL()
			sub := subscribe(t, cmdOpts{}, append(append([]string{"-s", url, "--count", "1"}, flags...), "auth.test")...)
			env["NATS_URL"] = url
			pubArgs := []string{"pub", "auth.test", "proved"}
			if c.name == "TLS handshake first" {
				pubArgs = append(pubArgs, "--tlsfirst") // a flag only, as for the nats CLI
			}
			r := run(t, cmdOpts{env: env}, pubArgs...)
			require.Equal(t, 0, r.code, r)
			require.Equal(t, 0, sub.wait(), sub.errOut.String())
			assert.Contains(t, sub.out.String(), "proved")

			r = run(t, cmdOpts{}, "pub", "--timeout", "2s", "-s", url, "auth.test", "anonymous")
			assert.Equal(t, 1, r.code, r)
			assert.Len(t, lines(r.stderr), 1, r.stderr)
			assert.Contains(t, r.stderr, "starling pub: cannot connect to "+url+": ")
			assert.Contains(t, r.stderr, c.refused)
		})
	}
}

// A flag wins over its environment variable.
func TestFlagBeatsEnvironment(t *testing.T) {
	t.Parallel()
	s := startServer(t, harness.WithToken("right"))
	r := run(t, cmdOpts{env: map[string]string{"NATS_URL": closedURL(t), "NATS_TOKEN": "wrong"}},
		"pub", "-s", s.ClientURL(), "--token", "right", "s", "x")
	assert.Equal(t, 0, r.code, r)
}

// --connection-name is the name the server shows in its monitoring.
func TestConnectionName(t *testing.T) {
	t.Parallel()
	monitor := strings.TrimPrefix(closedURL(t), "nats://")
	s := startServer(t, harness.WithConfig(fmt.Sprintf("http: %q", monitor)))
	subscribe(t, cmdOpts{}, "-s", s.ClientURL(), "--connection-name", "my-watcher", "n")
	resp, err := http.Get("http://" + monitor + "/connz")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"name": "my-watcher"`)
}
