package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The three-terminal walk of issue 14: a server, "svc serve", then the
// queries, each a process of its own, as a user runs them.
func TestSvcServeAndQueries(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	serve := start(t, cmdOpts{}, "svc", "serve", "-s", url)
	serve.waitStderr(`answers on echo.echo and echo.upper`)

	r := run(t, cmdOpts{}, "req", "-s", url, "echo.upper", "hello")
	require.Zero(t, r.code, "%v", r)
	assert.Contains(t, r.stdout, "HELLO")
	r = run(t, cmdOpts{}, "req", "-s", url, "echo.echo", "")
	require.Zero(t, r.code, "%v", r)
	assert.Contains(t, r.stdout, "Nats-Service-Error-Code: 400")

	r = run(t, cmdOpts{}, "svc", "ls", "-s", url)
	require.Zero(t, r.code, "%v", r)
	out := lines(r.stdout)
	require.Len(t, out, 2, "%v", r)
	assert.Equal(t, []string{"NAME", "VERSION", "ID", "ENDPOINTS", "DESCRIPTION"}, strings.Fields(out[0]))
	fields := strings.Fields(out[1])
	assert.Equal(t, []string{"echo", "1.0.0"}, fields[:2])
	assert.Equal(t, "2", fields[3])
	id := fields[2]

	r = run(t, cmdOpts{}, "svc", "info", "-s", url, "echo")
	require.Zero(t, r.code, "%v", r)
	assert.Contains(t, r.stdout, "Service echo 1.0.0 (instance "+id+")")
	assert.Contains(t, r.stdout, "Subject:     echo.echo")
	assert.Contains(t, r.stdout, "Subject:     echo.upper")
	assert.Contains(t, r.stdout, "Queue group: q")

	r = run(t, cmdOpts{}, "svc", "stats", "-s", url, "echo", id)
	require.Zero(t, r.code, "%v", r)
	stats := lines(r.stdout)
	require.Len(t, stats, 4, "%v", r)
	assert.Equal(t, []string{id, "echo", "1", "1"}, strings.Fields(stats[1])[:4])
	assert.Contains(t, stats[1], "400:empty body")
	assert.Equal(t, []string{id, "upper", "1", "0"}, strings.Fields(stats[2])[:4])
	assert.Equal(t, []string{"total", "1", "instances", "2", "1"}, strings.Fields(stats[3])[:5])

	r = run(t, cmdOpts{}, "svc", "ping", "-s", url)
	require.Zero(t, r.code, "%v", r)
	assert.True(t, strings.HasPrefix(r.stdout, "echo 1.0.0 "+id+": "), "%v", r)

	r = run(t, cmdOpts{}, "svc", "stats", "--json", "-s", url, "echo")
	require.Zero(t, r.code, "%v", r)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), "%v", r)
	assert.Equal(t, "io.nats.micro.v1.stats_response", doc["type"])

	// Ctrl-C stops the service gracefully; then nothing answers.
	assert.Zero(t, serve.stop(), "serve's exit status\n%s", serve.errOut.String())
	r = run(t, cmdOpts{}, "svc", "ls", "-s", url)
	assert.Zero(t, r.code, "%v", r)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "no service answered")
	r = run(t, cmdOpts{}, "svc", "ping", "-s", url)
	assert.Equal(t, 1, r.code, "%v", r)
	r = run(t, cmdOpts{}, "svc", "info", "-s", url, "echo")
	assert.Equal(t, 1, r.code, "%v", r)
	assert.Contains(t, r.stderr, `no instance of service "echo" answered`)
}

// Two demo instances: ls lists both, and the requests are shared.
func TestSvcTwoInstances(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	for range 2 {
		start(t, cmdOpts{}, "svc", "serve", "-s", url).waitStderr("answers on")
	}
	r := run(t, cmdOpts{}, "svc", "ls", "-s", url, "echo")
	require.Zero(t, r.code, "%v", r)
	assert.Len(t, lines(r.stdout), 3, "a header and two instances: %v", r)
	r = run(t, cmdOpts{}, "svc", "ping", "-s", url, "echo")
	require.Zero(t, r.code, "%v", r)
	assert.Len(t, lines(r.stdout), 2, "%v", r)
}

func TestSvcUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"svc", "info"}, "starling svc info: want NAME [ID], got 0 arguments"},
		{[]string{"svc", "stats", "a", "b", "c"}, "starling svc stats: want NAME [ID], got 3 arguments"},
		{[]string{"svc", "ls", "a.b"}, `starling svc ls: svc: invalid name "a.b"`},
		{[]string{"svc", "ping", "--wait", "0s"}, "starling svc ping: --wait must be positive"},
		{[]string{"svc", "ping", "--prefix", "a.*"}, `starling svc ping: svc: invalid prefix "a.*"`},
		{[]string{"svc", "serve", "extra"}, "starling svc serve: unexpected arguments"},
		{[]string{"svc", "serve", "--name", "a b"}, `starling svc serve: --name: svc: invalid name "a b"`},
	} {
		r := run(t, cmdOpts{}, c.args...)
		assert.Equal(t, 2, r.code, "%v: %v", c.args, r)
		assert.Len(t, lines(r.stderr), 1, "%v: one line: %q", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
		assert.Empty(t, r.stdout, "%v", c.args)
	}
}
