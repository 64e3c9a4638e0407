package main_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// streamWithMessages starts a JetStream server holding stream S on s.>
// with the bodies one..four on s.a, s.b, s.a, s.c (sequences 1 to 4);
// two has the header X-N: 2.
func streamWithMessages(t *testing.T) string {
	t.Helper()
	url := startServer(t, harness.WithJetStream()).ClientURL()
	ok(t, "stream", "add", "-s", url, "S", "--subjects", "s.>", "--storage", "memory")
	for _, m := range [][]string{{"s.a", "one"}, {"s.b", "two"}, {"s.a", "three"}, {"s.c", "four"}} {
		args := []string{"js", "pub", "-s", url, m[0], m[1]}
		if m[1] == "two" {
			args = append(args, "-H", "X-N:2")
		}
		ok(t, args...)
	}
	return url
}

func TestSubStreamPrintsInOrder(t *testing.T) {
	t.Parallel()
	url := streamWithMessages(t)
	r := ok(t, "sub", "-s", url, "--stream", "S", "--count", "4")
	assert.Contains(t, r.stderr, `reading stream "S"`)
	out := r.stdout
	last := -1
	for i, want := range []string{
		"[#1] Received JetStream message: stream: S seq 1 / subject: s.a / time: ", "one",
		"[#2] Received JetStream message: stream: S seq 2 / subject: s.b / time: ", "X-N: 2\n\ntwo",
		"[#3] Received JetStream message: stream: S seq 3 / subject: s.a / time: ", "three",
		"[#4] Received JetStream message: stream: S seq 4 / subject: s.c / time: ", "four",
	} {
		at := strings.Index(out, want)
		require.Greater(t, at, last, "item %d %q out of order in:\n%s", i, want, out)
		last = at
	}
	assert.NotContains(t, out, "[#5]")

	r = ok(t, "sub", "-s", url, "--stream", "S", "--count", "2", "--all", "--raw")
	assert.Equal(t, "one\ntwo\n", r.stdout)
}

// The SUBJECT arguments filter the stream.
func TestSubStreamFilterSubjects(t *testing.T) {
	t.Parallel()
	url := streamWithMessages(t)
	r := ok(t, "sub", "-s", url, "--stream", "S", "--count", "2", "s.a")
	assert.Contains(t, r.stdout, "stream: S seq 1 / subject: s.a")
	assert.Contains(t, r.stdout, "stream: S seq 3 / subject: s.a")
	assert.NotContains(t, r.stdout, "two")
	r = ok(t, "sub", "-s", url, "--stream", "S", "--count", "2", "--raw", "s.b", "s.c")
	assert.Equal(t, "two\nfour\n", r.stdout)
}

// The start flags choose where in the stream reading begins.
func TestSubStreamStartFlags(t *testing.T) {
	t.Parallel()
	url := streamWithMessages(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--start-seq", "3", "--count", "2"}, "three\nfour\n"},
		{[]string{"--start-sequence", "2", "--count", "1"}, "two\n"},
		{[]string{"--last", "--count", "1"}, "four\n"},
		{[]string{"--last-per-subject", "--count", "3"}, "two\nthree\nfour\n"},
		{[]string{"--since", "1h", "--count", "4"}, "one\ntwo\nthree\nfour\n"},
		{[]string{"--since", "1d", "--count", "1", "s.c"}, "four\n"},
	} {
		args := append([]string{"sub", "-s", url, "--stream", "S", "--raw"}, c.args...)
		r := ok(t, args...)
		assert.Equal(t, c.want, r.stdout, "%q", c.args)
	}
}

// --new sees only what is stored after the command says it is reading;
// Ctrl-C then stops it with exit 0.
func TestSubStreamNewThenCtrlC(t *testing.T) {
	t.Parallel()
	url := streamWithMessages(t)
	p := start(t, cmdOpts{}, "sub", "-s", url, "--stream", "S", "--new", "--raw")
	p.waitStderr("reading stream")
	ok(t, "pub", "-s", url, "s.new", "fresh")
	p.waitStdout("fresh\n")
	ok(t, "js", "pub", "-s", url, "s.a", "fresher")
	p.waitStdout("fresher\n")
	assert.Equal(t, 0, p.stop(), p.errOut.String())
	assert.Equal(t, "fresh\nfresher\n", p.out.String())
	assert.NotContains(t, p.errOut.String(), "error")
}

func TestSubStreamErrors(t *testing.T) {
	t.Parallel()
	url := startServer(t, harness.WithJetStream()).ClientURL()
	r := run(t, cmdOpts{}, "sub", "-s", url, "--stream", "NOPE", "--count", "1")
	assert.Equal(t, 1, r.code, r)
	assert.True(t, strings.HasPrefix(r.stderr, `starling sub: stream "NOPE": js: stream not found`), r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--stream", "S", "--new", "--last"}, "--new and --last conflict"},
		{[]string{"--stream", "S", "--all", "--start-seq", "2"}, "--all and --start-seq conflict"},
		{[]string{"--stream", "S", "--since", "1h", "--last-per-subject"}, "--last-per-subject and --since conflict"},
		{[]string{"--start-seq", "2", "x"}, "--start-seq needs --stream"},
		{[]string{"--stream", "a.b"}, `invalid stream name "a.b"`},
		{[]string{"--stream", ""}, `invalid stream name ""`},
		{[]string{"--stream", "S", "--queue", "q"}, "--queue and --stream conflict"},
		{[]string{"--stream", "S", "--since", "soon"}, `invalid duration "soon"`},
		{[]string{"--stream", "S", "--start-seq", "0"}, "must be at least 1"},
		{[]string{"--stream", "S", "x..y"}, `invalid subject "x..y"`},
		{nil, "want at least one SUBJECT"},
	} {
		args := append([]string{"sub", "-s", url}, c.args...)
		r := run(t, cmdOpts{}, args...)
		assert.Equal(t, 2, r.code, "%q: %s", c.args, r)
		assert.Contains(t, r.stderr, c.want, "%q", c.args)
	}
}
