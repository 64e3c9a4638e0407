package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestReqToReply(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	rep := startCmd(t, nil, replyCommand, "-s", s.ClientURL(), "time", "pong {{Count}}", "-H", "Server:starling")
	rep.waitStderr(`answering requests on "time" in queue group "NATS-RPLY-22"`)

	out, stderr, err := runCmd(t, reqCommand, "-s", s.ClientURL(), "time", "ping", "-H", "Who:me")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, `sending request on "time"`)
	assert.Regexp(t, `^\[#1\] Received with rtt \S+\nServer: starling\n\npong 1\n\n$`, out)

	out, stderr, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--raw", "time", "ping")
	require.NoError(t, err, stderr)
	assert.Equal(t, "pong 2\n", out)

	// The replier printed both requests as sub prints messages.
	printed := rep.waitStdout("[#2]")
	assert.Contains(t, printed, "Who: me\n\nping\n")
	require.NoError(t, rep.stop())
}

func TestReplyEchoCountsAndExits(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	rep := startCmd(t, nil, replyCommand, "-s", s.ClientURL(), "--echo", "--count", "2", "--quiet", "echo")
	rep.waitStderr("answering requests")

	nc := connect(t, s.ClientURL())
	ctx := t.Context()
	hdr := core.Header{}
	hdr.Add("K", "v")
	r, err := nc.RequestMsg(ctx, &core.Msg{Subject: "echo", Header: hdr, Data: []byte("one")})
	require.NoError(t, err)
	assert.Equal(t, "one", string(r.Data))
	assert.Equal(t, "v", r.Header.Get("K"), "--echo returns the headers too")

	// A message without a reply subject is reported, not counted.
	require.NoError(t, nc.Publish("echo", []byte("no reply")))
	r, err = nc.Request(ctx, "echo", []byte("two"))
	require.NoError(t, err)
	assert.Equal(t, "two", string(r.Data))

	require.NoError(t, rep.wait(), "--count 2 ends the replier after two answers")
	assert.Contains(t, rep.errOut.String(), `message on "echo" has no reply subject`)
	assert.Empty(t, rep.out.String(), "--quiet prints nothing")
}

func TestReqManyReplies(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	for _, body := range []string{"a", "b"} {
		rep := startCmd(t, nil, replyCommand, "-s", s.ClientURL(), "--queue", "", "--quiet", "svc", body)
		rep.waitStderr(`answering requests on "svc" on`)
	}

	out, stderr, err := runCmd(t, reqCommand, "-s", s.ClientURL(), "--replies", "2", "--raw", "svc", "?")
	require.NoError(t, err, stderr)
	lines := strings.Fields(out)
	assert.ElementsMatch(t, []string{"a", "b"}, lines)

	// --replies 0 collects everything until --timeout, which is not an error.
	start := time.Now()
	out, stderr, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--replies", "0", "--timeout", "300ms", "svc", "?")
	require.NoError(t, err, stderr)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	assert.Contains(t, out, "[#1] Received with rtt")
	assert.Contains(t, out, "[#2] Received with rtt")
	assert.NotContains(t, out, "[#3]")

	// More replies asked for than come: what came is printed, and said.
	out, stderr, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--replies", "3", "--timeout", "300ms", "--raw", "svc", "?")
	require.NoError(t, err, stderr)
	assert.Len(t, strings.Fields(out), 2)
	assert.Contains(t, stderr, "2 of 3 replies within 300ms")
}

func TestReqFailures(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)

	_, _, err := runCmd(t, reqCommand, "-s", s.ClientURL(), "nobody", "hi")
	require.ErrorIs(t, err, core.ErrNoResponders)
	assert.Contains(t, err.Error(), `no responders on "nobody"`)

	// A listener that never answers: the request times out.
	nc := connect(t, s.ClientURL())
	syncSub(t, nc, "silent")
	start := time.Now()
	_, _, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--timeout", "200ms", "silent", "hi")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no reply on "silent" within 200ms`)
	assert.Less(t, time.Since(start), 5*time.Second)

	_, _, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--replies", "0", "--timeout", "200ms", "silent", "hi")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no reply on "silent" within 200ms`)

	for _, args := range [][]string{
		{"-s", s.ClientURL()},
		{"-s", s.ClientURL(), "--timeout", "0s", "x"},
		{"-s", s.ClientURL(), "--replies", "-1", "x"},
	} {
		_, _, err := runCmd(t, reqCommand, args...)
		var ue usageError
		assert.ErrorAs(t, err, &ue, "%q", args)
	}
}

func TestReplyUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", "nats://127.0.0.1:1", "svc"}, "give a BODY to answer with, or --echo"},
		{[]string{"-s", "nats://127.0.0.1:1", "--echo", "svc", "body"}, "give a BODY or --echo, not both"},
		{[]string{"-s", "nats://127.0.0.1:1"}, "want SUBJECT [BODY]"},
		{[]string{"-s", "nats://127.0.0.1:1", "--count", "-1", "svc", "x"}, "--count must not be negative"},
	} {
		_, _, err := runCmd(t, replyCommand, tc.args...)
		var ue usageError
		require.ErrorAs(t, err, &ue, "%q", tc.args)
		assert.Contains(t, err.Error(), tc.want)
	}
}
