package main_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReqToReply(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	rep := start(t, cmdOpts{}, "reply", "-s", url, "--count", "2", "svc.time", "pong")
	rep.waitStderr("answering requests")
	r := run(t, cmdOpts{}, "req", "-s", url, "svc.time", "ping")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "[#1] Received with rtt")
	assert.Contains(t, r.stdout, "pong")
	r = run(t, cmdOpts{stdin: []byte("from stdin")}, "req", "-s", url, "--raw", "svc.time")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "pong\n", r.stdout)
	require.Equal(t, 0, rep.wait())
	assert.Contains(t, rep.out.String(), "from stdin")

	echo := start(t, cmdOpts{}, "reply", "-s", url, "--echo", "--count", "1", "svc.echo")
	echo.waitStderr("answering requests")
	r = run(t, cmdOpts{}, "req", "-s", url, "-H", "K:v", "svc.echo", "")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "K: v")
	assert.Contains(t, r.stdout, "nil body")
	require.Equal(t, 0, echo.wait())
}

// No responders and no reply in time both fail with exit 1 and one line.
func TestReqFailures(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	r := run(t, cmdOpts{}, "req", "-s", url, "nobody.home", "x")
	assert.Equal(t, 1, r.code, r)
	assert.Equal(t, "starling: sending request on \"nobody.home\"\nstarling req: no responders on \"nobody.home\"\n", r.stderr)

	silent := subscribe(t, cmdOpts{}, "-s", url, "silent")
	_ = silent
	r = run(t, cmdOpts{}, "req", "-s", url, "--timeout", "300ms", "silent", "x")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "starling req: no reply on \"silent\" within 300ms\n")
}

// --replies 0 gathers every answer within --timeout.
func TestReqScatterGather(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	for _, body := range []string{"a", "b"} {
		p := start(t, cmdOpts{}, "reply", "-s", url, "--queue", "", "--quiet", "all", body)
		p.waitStderr("answering requests")
	}
	r := run(t, cmdOpts{}, "req", "-s", url, "--replies", "0", "--timeout", "500ms", "--raw", "all", "q")
	require.Equal(t, 0, r.code, r)
	assert.ElementsMatch(t, []string{"a", "b"}, lines(r.stdout))
}
