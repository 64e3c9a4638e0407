package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subscribe starts "starling sub" on url and waits until the server has
// its subscriptions.
func subscribe(t *testing.T, o cmdOpts, args ...string) *proc {
	t.Helper()
	p := start(t, o, append([]string{"sub"}, args...)...)
	p.waitStderr("subscribed to")
	return p
}

func TestSubOnSeveralSubjects(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	sub := subscribe(t, cmdOpts{}, "-s", url, "--count", "3", "a.b", "c.>")
	assert.Contains(t, sub.errOut.String(), `subscribed to "a.b", "c.>"`)
	for _, m := range [][]string{{"a.b", "one"}, {"x.y", "never"}, {"c.d.e", "two"}, {"c.z", "three"}} {
		r := run(t, cmdOpts{}, "pub", "-s", url, m[0], m[1])
		require.Equal(t, 0, r.code, r)
	}
	require.Equal(t, 0, sub.wait(), sub.errOut.String())
	out := sub.out.String()
	for _, want := range []string{`[#1] Received on "a.b"`, "one", `[#2] Received on "c.d.e"`, "two", `[#3] Received on "c.z"`, "three"} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "never")
}

// A body piped in, or redirected from a file, is published: never a
// silent empty message. Binary bytes and "{{" arrive as they were.
func TestPubBodyFromStdin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	binary := []byte("bin\x00\xff\x01{{Count}}\r\nend")
	file := filepath.Join(t.TempDir(), "body.bin")
	require.NoError(t, os.WriteFile(file, binary, 0o600))

	sub := subscribe(t, cmdOpts{}, "-s", url, "--raw", "--count", "2", "in")
	r := run(t, cmdOpts{stdin: []byte("hello from a pipe")}, "pub", "-s", url, "in")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, `Published 17 bytes to "in"`)
	r = run(t, cmdOpts{stdinFile: file}, "pub", "-s", url, "in")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 0, sub.wait())
	assert.Equal(t, "hello from a pipe\n"+string(binary)+"\n", sub.out.String())

	// stdin that is /dev/null gives an empty body, printed as the nats CLI
	// prints it.
	sub = subscribe(t, cmdOpts{}, "-s", url, "--count", "1", "empty")
	r = run(t, cmdOpts{}, "pub", "-s", url, "empty")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 0, sub.wait())
	assert.Contains(t, sub.out.String(), "nil body")
}

// "{{" in a body or header is sent literally unless --templates asks.
func TestLiteralBracesAndTemplates(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	sub := subscribe(t, cmdOpts{}, "-s", url, "--count", "3", "t")
	r := run(t, cmdOpts{}, "pub", "-s", url, "-H", "X-Tmpl:{{Count}}", "t", `{"a":{{not a template}}`)
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "pub", "-s", url, "--templates", "--count", "2", "-H", "N:{{Count}}", "t", "n={{Count}}")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 0, sub.wait())
	out := sub.out.String()
	assert.Contains(t, out, "X-Tmpl: {{Count}}\n\n{\"a\":{{not a template}}\n")
	assert.Contains(t, out, "N: 1\n\nn=1\n")
	assert.Contains(t, out, "N: 2\n\nn=2\n")
	assert.NotContains(t, out, "n={{Count}}")
}

func TestSubQueueAndRaw(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	sub := subscribe(t, cmdOpts{}, "-s", url, "--queue", "q", "--raw", "--count", "2", "w")
	assert.Contains(t, sub.errOut.String(), `in queue group "q"`)
	r := run(t, cmdOpts{}, "pub", "-s", url, "--count", "2", "w", "job")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, `Published 2 messages to "w"`)
	require.Equal(t, 0, sub.wait())
	assert.Equal(t, "job\njob\n", sub.out.String())
}

// Ctrl-C ends a subscriber with exit 0 and nothing lost on the way out.
func TestSubStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	sub := subscribe(t, cmdOpts{}, "-s", s.ClientURL(), "forever")
	assert.Equal(t, 0, sub.stop())
	assert.False(t, strings.Contains(sub.errOut.String(), "error"), sub.errOut.String())
}

// Flags go anywhere on the line, as with the nats CLI, and "--" ends them
// so that a body may start with a dash.
func TestFlagsAnywhereAndDoubleDash(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	url := s.ClientURL()
	sub := subscribe(t, cmdOpts{}, "dash", "--raw", "-s", url, "--count", "2")
	r := run(t, cmdOpts{}, "pub", "dash", "first", "-s", url)
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "pub", "-s", url, "dash", "--", "--not-a-flag")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 0, sub.wait())
	assert.Equal(t, "first\n--not-a-flag\n", sub.out.String())
}
