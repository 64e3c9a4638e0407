package main_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default server rule is tested on a port of the test's choosing,
// named by STARLING_DEFAULT_URL in place of nats://127.0.0.1:4222.

// Without --server or NATS_URL the server at the default URL is used when
// it answers: a subscriber there gets what pub sends, with no word about
// an embedded server.
func TestDefaultServerIsTheOneRunning(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := map[string]string{"STARLING_DEFAULT_URL": s.ClientURL()}
	sub := subscribe(t, cmdOpts{env: env}, "--count", "1", "e.def")
	assert.Contains(t, sub.errOut.String(), "on "+s.ClientURL())
	r := run(t, cmdOpts{env: env}, "pub", "e.def", "hi")
	require.Equal(t, 0, r.code, r)
	assert.NotContains(t, r.stderr, "embedded")
	require.Equal(t, 0, sub.wait())
	assert.Contains(t, sub.out.String(), "hi")
}

// When nothing answers there, an embedded server is started and said on
// stderr; pub and req warn that nobody else can hear them.
func TestEmbeddedWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	def := closedURL(t)
	env := map[string]string{"STARLING_DEFAULT_URL": def}
	r := run(t, cmdOpts{env: env}, "pub", "e.emb", "hi")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "starling: nothing answers at "+def+": started an embedded nats-server")
	assert.Equal(t, 1, strings.Count(r.stderr, "warning: no other client can reach this embedded server"), r.stderr)

	r = run(t, cmdOpts{env: env}, "req", "--timeout", "1s", "e.emb", "hi")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "warning: no other client can reach this embedded server")
	assert.Contains(t, r.stderr, `starling req: no responders on "e.emb"`)

	// sub on an embedded server says how to reach it.
	sub := subscribe(t, cmdOpts{env: env}, "--count", "1", "e.emb")
	m := regexp.MustCompile(`starling pub -s (nats://\S+) e.emb`).FindStringSubmatch(sub.errOut.String())
	require.NotNil(t, m, sub.errOut.String())
	r = run(t, cmdOpts{}, "pub", "-s", m[1], "e.emb", "reached")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 0, sub.wait())
	assert.Contains(t, sub.out.String(), "reached")

	// Credentials cannot be honoured by the embedded server: a clear
	// failure, not a silent anonymous connection.
	r = run(t, cmdOpts{env: env}, "pub", "--token", "t", "e.emb", "hi")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "nothing answers at "+def+", and --token need a server of yours")
}

// NATS_URL wins over the default URL, --server over NATS_URL.
func TestServerChoiceOrder(t *testing.T) {
	t.Parallel()
	def, fromEnv, fromFlag := startServer(t), startServer(t), startServer(t)
	env := map[string]string{"STARLING_DEFAULT_URL": def.ClientURL(), "NATS_URL": fromEnv.ClientURL()}
	sub := subscribe(t, cmdOpts{env: env}, "--count", "1", "order")
	assert.Contains(t, sub.errOut.String(), "on "+fromEnv.ClientURL())
	sub2 := subscribe(t, cmdOpts{env: env}, "-s", fromFlag.ClientURL(), "--count", "1", "order")
	assert.Contains(t, sub2.errOut.String(), "on "+fromFlag.ClientURL())
	require.Equal(t, 0, run(t, cmdOpts{env: env}, "pub", "order", "one").code)
	require.Equal(t, 0, sub.wait())
	require.Equal(t, 0, run(t, cmdOpts{}, "pub", "-s", fromFlag.ClientURL(), "order", "two").code)
	require.Equal(t, 0, sub2.wait())
}

var urlLine = regexp.MustCompile(`^nats://127\.0\.0\.1:(\d+)\n$`)

// "starling server" listens at the default URL, where every other command
// finds it; when that port is taken it takes a free one and says so.
func TestServerAtTheDefaultPort(t *testing.T) {
	t.Parallel()
	def := closedURL(t)
	env := map[string]string{"STARLING_DEFAULT_URL": def}
	srv := start(t, cmdOpts{env: env}, "server", "--js=false")
	srv.waitStderr("running")
	// stdout and stderr are separate pipes, copied by separate goroutines:
	// the URL line may land after "running" does.
	srv.waitStdout("\n")
	assert.Equal(t, def+"\n", srv.out.String())

	sub := subscribe(t, cmdOpts{env: env}, "--count", "1", "found")
	r := run(t, cmdOpts{env: env}, "pub", "found", "it")
	require.Equal(t, 0, r.code, r)
	assert.NotContains(t, r.stderr, "embedded")
	require.Equal(t, 0, sub.wait())

	second := start(t, cmdOpts{env: env}, "server", "--js=false")
	second.waitStderr("running")
	second.waitStdout("\n")
	assert.Contains(t, second.errOut.String(), "is taken; listening on a free port instead")
	m := urlLine.FindStringSubmatch(second.out.String())
	require.NotNil(t, m, second.out.String())
	assert.NotEqual(t, def, "nats://127.0.0.1:"+m[1])

	assert.Equal(t, 0, second.stop())
	assert.Equal(t, 0, srv.stop())
	assert.Contains(t, srv.errOut.String(), "stopping")
}

// An explicit --port that is taken is an error, not a surprise port.
func TestServerExplicitPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r := run(t, cmdOpts{}, "server", "--port", fmt.Sprint(port))
	assert.Equal(t, 1, r.code, r)
	assert.Equal(t, fmt.Sprintf("starling server: port %d on 127.0.0.1 is taken (--port 0 takes a free one)\n", port), r.stderr)
}

// A store directory is kept, JetStream on.
func TestServerStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, cmdOpts{}, "server", "--port", "0", "--store", dir)
	srv.waitStderr("JetStream store in " + dir + ";")
	srv.waitStdout("\n")
	require.NotNil(t, urlLine.FindStringSubmatch(srv.out.String()), srv.out.String())
	assert.Equal(t, 0, srv.stop())
}
