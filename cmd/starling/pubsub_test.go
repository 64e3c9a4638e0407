package main

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestPubToSub(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sub := startCmd(t, nil, subCommand, "-s", s.ClientURL(), "orders.>")
	sub.waitStderr(`subscribed to "orders.>"`)

	_, stderr, err := runCmd(t, pubCommand, "--server", s.ClientURL(), "orders.new", "hello", "-H", "Content-Type: text/plain", "-H", "X-Id:7")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, `Published 5 bytes to "orders.new"`)

	out := sub.waitStdout("hello")
	assert.Equal(t, "[#1] Received on \"orders.new\"\nContent-Type: text/plain\nX-Id: 7\n\nhello\n\n", out)
	require.NoError(t, sub.stop(), "Ctrl-C is a clean stop")
}

func TestPubCountTemplatesAndReply(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub := syncSub(t, nc, "greet")

	_, stderr, err := runCmd(t, pubCommand, "-s", s.ClientURL(), "--count", "3", "--reply", "answers",
		"-H", "Seq:{{Count}}", "greet", "hello {{Count}}")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, `Published 3 messages to "greet"`)
	for i, want := range []string{"1", "2", "3"} {
		m := nextMsg(t, sub)
		assert.Equal(t, "hello "+want, string(m.Data), "message %d", i)
		assert.Equal(t, want, m.Header.Get("Seq"))
		assert.Equal(t, "answers", m.Reply)
	}
}

func TestPubBodyFromStdin(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub := syncSub(t, nc, "in")

	_, stderr, err := runCmdEnv(t, nil, "piped body\n", pubCommand, "-s", s.ClientURL(), "--force-stdin", "in")
	require.NoError(t, err, stderr)
	assert.Equal(t, "piped body\n", string(nextMsg(t, sub).Data))

	// Without --force-stdin and without a terminal, stdin is left alone:
	// a script with a silent stdin must not hang.
	_, stderr, err = runCmdEnv(t, nil, "ignored", pubCommand, "-s", s.ClientURL(), "in")
	require.NoError(t, err, stderr)
	assert.Empty(t, nextMsg(t, sub).Data)
}

func TestPubErrors(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithMaxPayload(64))
	url := s.ClientURL()
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no subject", []string{"-s", url}, true, "want SUBJECT [BODY]"},
		{"three arguments", []string{"-s", url, "a", "b", "c"}, true, "want SUBJECT [BODY]"},
		{"zero count", []string{"-s", url, "--count", "0", "a"}, true, "--count must be at least 1"},
		{"bad header", []string{"-s", url, "-H", "novalue", "a"}, true, `header "novalue" is not key:value`},
		{"bad template", []string{"-s", url, "a", "{{Count"}, true, "not a valid template"},
		{"unknown flag", []string{"-s", url, "--bogus", "a"}, true, "flag provided but not defined: -bogus"},
		{"wildcard subject", []string{"-s", url, "a.*", "x"}, false, "invalid subject"},
		{"over max_payload", []string{"-s", url, "a", strings.Repeat("x", 65)}, false, "max_payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, pubCommand, tc.args...)
			require.Error(t, err, stderr)
			assert.Contains(t, err.Error(), tc.want)
			var ue usageError
			assert.Equal(t, tc.usage, errors.As(err, &ue), "usage error: %v", err)
		})
	}
}

func TestSubCountRawAndQueue(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sub := startCmd(t, nil, subCommand, "-s", s.ClientURL(), "--raw", "--count", "2", "--queue", "workers", "jobs")
	stderr := sub.waitStderr(`subscribed to "jobs" in queue group "workers"`)
	assert.NotContains(t, stderr, "embedded")

	nc := connect(t, s.ClientURL())
	for _, body := range []string{"one", "two", "three"} {
		require.NoError(t, nc.Publish("jobs", []byte(body)))
	}
	require.NoError(t, sub.wait(), "--count ends the command by itself")
	assert.Equal(t, "one\ntwo\n", sub.out.String())
}

func TestSubPrintsStatusAndReply(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sub := startCmd(t, nil, subCommand, "-s", s.ClientURL(), "--count", "1", "st")
	sub.waitStderr("subscribed")
	nc := connect(t, s.ClientURL())
	hdr := core.Header{}
	hdr.Add("B", "2")
	hdr.Add("A", "1")
	hdr.Add("A", "0")
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "st", Reply: "back", Header: hdr}))
	require.NoError(t, sub.wait())
	assert.Equal(t, "[#1] Received on \"st\" with reply \"back\"\nA: 1\nA: 0\nB: 2\n\n\n", sub.out.String(),
		"headers sorted by key, values in order, empty body")
}

// The embedded server of sub is announced with a command that reaches it.
func TestSubEmbeddedServer(t *testing.T) {
	t.Parallel()
	sub := startCmd(t, nil, subCommand, "--count", "1", "hello")
	stderr := sub.waitStderr("publish to it from another terminal")
	assert.Contains(t, stderr, "started an embedded nats-server")
	m := regexp.MustCompile(`starling pub -s (nats://\S+) hello`).FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)

	// sub stops its server as soon as it has the message, which may be
	// before pub's flush is answered: pub may then report that, but never
	// hang.
	_, perr, err := runCmd(t, pubCommand, "-s", m[1], "hello", "world")
	if err != nil {
		assert.Contains(t, err.Error(), "did not confirm", perr)
	}
	require.NoError(t, sub.wait())
	assert.Contains(t, sub.out.String(), "world")
}

// With no server named, pub runs against an embedded server of its own:
// of little use, but it works and says so.
func TestPubEmbeddedServer(t *testing.T) {
	t.Parallel()
	_, stderr, err := runCmd(t, pubCommand, "nowhere", "hi")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "started an embedded nats-server")
	assert.Contains(t, stderr, `Published 2 bytes to "nowhere"`)
}
