package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	newFS := func() (*flagSet, *string, *int, *bool) {
		fs := newFlagSet("x", "x", "", nil)
		s := fs.String("reply", "", "")
		n := fs.Int("count", 1, "")
		b := fs.Bool("raw", false, "")
		fs.alias("r", "reply")
		return fs, s, n, b
	}
	for _, tc := range []struct {
		args  []string
		pos   []string
		reply string
		count int
		raw   bool
	}{
		{[]string{"subj", "body"}, []string{"subj", "body"}, "", 1, false},
		{[]string{"subj", "--count", "3", "body", "--raw"}, []string{"subj", "body"}, "", 3, true},
		{[]string{"-r", "in", "subj"}, []string{"subj"}, "in", 1, false},
		{[]string{"subj", "--", "--count", "-5"}, []string{"subj", "--count", "-5"}, "", 1, false},
		{[]string{"--reply", "--", "subj"}, []string{"subj"}, "--", 1, false},
		{[]string{"--raw", "--", "subj"}, []string{"subj"}, "", 1, true},
		{[]string{"-count=2", "a", "b", "c"}, []string{"a", "b", "c"}, "", 2, false},
	} {
		fs, reply, count, raw := newFS()
		pos, err := fs.parse(tc.args)
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.pos, pos, "%q", tc.args)
		assert.Equal(t, tc.reply, *reply, "%q", tc.args)
		assert.Equal(t, tc.count, *count, "%q", tc.args)
		assert.Equal(t, tc.raw, *raw, "%q", tc.args)
	}

	fs, _, _, _ := newFS()
	_, err := fs.parse([]string{"a", "--count", "x"})
	var ue usageError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "see 'starling x -h'")

	fs, _, _, _ = newFS()
	_, err = fs.parse([]string{"-r", "x"})
	require.NoError(t, err)
	assert.True(t, fs.isSet("reply"), "the alias sets its flag")
	assert.False(t, fs.isSet("count"))
}

func TestServerFlagAndNATSURL(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub := syncSub(t, nc, "where")

	// A dead address nobody listens on, for comma-separated lists.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "nats://" + l.Addr().String()
	require.NoError(t, l.Close())

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"-s", nil, []string{"-s", s.ClientURL()}},
		{"--server", nil, []string{"--server", s.ClientURL()}},
		{"-server=", nil, []string{"-server=" + s.ClientURL()}},
		{"comma-separated", nil, []string{"-s", dead + ", " + s.ClientURL()}},
		{"NATS_URL", map[string]string{"NATS_URL": s.ClientURL()}, nil},
		{"--server wins over NATS_URL", map[string]string{"NATS_URL": dead}, []string{"-s", s.ClientURL()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "where", "via "+tc.name)
			_, stderr, err := runCmdEnv(t, tc.env, "", pubCommand, args...)
			require.NoError(t, err, stderr)
			assert.NotContains(t, stderr, "embedded")
			assert.Equal(t, "via "+tc.name, string(nextMsg(t, sub).Data))
		})
	}

	_, _, err = runCmdEnv(t, map[string]string{"NATS_URL": dead}, "", pubCommand, "where", "x")
	require.ErrorIs(t, err, core.ErrNoServers, "NATS_URL is used, not an embedded server")
}

// NATS_URL from the real environment, through the dispatcher.
func TestNATSURLFromEnvironment(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub := syncSub(t, nc, "env")
	t.Setenv("NATS_URL", s.ClientURL())
	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"pub", "env", "from env"}, &out, &errOut), errOut.String())
	assert.Equal(t, "from env", string(nextMsg(t, sub).Data))
}

func TestUserPasswordAndToken(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithUser("alice", "s3cret"))
	rep := startCmd(t, nil, replyCommand, "-s", s.ClientURL(), "--user", "alice", "--password", "s3cret", "auth", "ok")
	rep.waitStderr("answering requests")
	out, stderr, err := runCmd(t, reqCommand, "-s", s.ClientURL(), "--user", "alice", "--password", "s3cret", "--raw", "auth", "?")
	require.NoError(t, err, stderr)
	assert.Equal(t, "ok\n", out)

	_, _, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--user", "alice", "--password", "wrong", "auth", "?")
	require.ErrorIs(t, err, core.ErrAuthorization)
	_, _, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "auth", "?")
	require.ErrorIs(t, err, core.ErrAuthorization)
	_, _, err = runCmd(t, reqCommand, "-s", s.ClientURL(), "--password", "s3cret", "auth", "?")
	var ue usageError
	require.ErrorAs(t, err, &ue, "--password without --user")

	ts := harness.RunServer(t, harness.WithToken("t0ken"))
	_, stderr, err = runCmd(t, pubCommand, "-s", ts.ClientURL(), "--token", "t0ken", "x", "y")
	require.NoError(t, err, stderr)
	_, _, err = runCmd(t, pubCommand, "-s", ts.ClientURL(), "--token", "nope", "x", "y")
	require.ErrorIs(t, err, core.ErrAuthorization)
}

func TestCredsFile(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithOperator())
	creds := s.CredsFile()
	require.FileExists(t, creds)
	sub := startCmd(t, nil, subCommand, "-s", s.ClientURL(), "--creds", creds, "--count", "1", "--raw", "jwt")
	sub.waitStderr("subscribed")
	_, stderr, err := runCmd(t, pubCommand, "-s", s.ClientURL(), "--creds", creds, "jwt", "signed in")
	require.NoError(t, err, stderr)
	require.NoError(t, sub.wait())
	assert.Equal(t, "signed in\n", sub.out.String())

	_, _, err = runCmd(t, pubCommand, "-s", s.ClientURL(), "jwt", "anonymous")
	require.ErrorIs(t, err, core.ErrAuthorization)
	_, _, err = runCmd(t, pubCommand, "-s", s.ClientURL(), "--creds", creds+".missing", "jwt", "x")
	require.ErrorIs(t, err, core.ErrInvalidCredentials)
}

func TestTLSFlags(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS(harness.TLSVerifyClients()))
	m := s.TLS()
	_, stderr, err := runCmd(t, pubCommand, "-s", s.ClientURL(), "--tlsca", m.CAFile,
		"--tlscert", m.ClientCertFile, "--tlskey", m.ClientKeyFile, "secure", "x")
	require.NoError(t, err, stderr)

	_, _, err = runCmd(t, pubCommand, "-s", s.ClientURL(), "--tlsca", m.CAFile, "secure", "x")
	require.Error(t, err, "the server verifies client certificates")
	_, _, err = runCmd(t, pubCommand, "-s", s.ClientURL(), "--tlscert", m.ClientCertFile, "--tlskey", m.ClientKeyFile, "secure", "x")
	require.Error(t, err, "the server's CA is not trusted by default")
	_, _, err = runCmd(t, pubCommand, "-s", s.ClientURL(), "--tlscert", m.ClientCertFile, "secure", "x")
	var ue usageError
	require.ErrorAs(t, err, &ue, "--tlscert without --tlskey")
}

// Auth and TLS flags without a server cannot be honoured by the embedded
// server: a clear usage error, no server started.
func TestSecurityFlagsNeedAServer(t *testing.T) {
	t.Parallel()
	for _, f := range [][]string{{"--user", "u"}, {"--token", "t"}, {"--creds", "x.creds"}, {"--tlsca", "ca.pem"}} {
		for name, args := range map[string][]string{
			"pub":   append(f, "subj"),
			"sub":   append(f, "subj"),
			"bench": f,
		} {
			_, stderr, err := runCmd(t, map[string]cmdFunc{"pub": pubCommand, "sub": subCommand, "bench": benchCommand}[name], args...)
			var ue usageError
			require.ErrorAs(t, err, &ue, "%s %q", name, args)
			assert.Contains(t, err.Error(), f[0]+" needs a server", name)
			assert.NotContains(t, stderr, "embedded nats-server", name)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]cmdFunc{"pub": pubCommand, "sub": subCommand, "req": reqCommand, "reply": replyCommand, "bench": benchCommand} {
		_, stderr, err := runCmd(t, f, "-h")
		require.ErrorIs(t, err, flag.ErrHelp, name)
		assert.Contains(t, stderr, "Usage: starling "+name+" [flags]", name)
		assert.Contains(t, stderr, "-s, --server URLS", name)
		assert.Contains(t, stderr, "$NATS_URL", name)
		for _, f := range []string{"--creds FILE", "--user USER", "--password PASSWORD", "--token TOKEN", "--tlsca FILE", "--tlscert FILE", "--tlskey FILE"} {
			assert.Contains(t, stderr, f, name)
		}
	}

	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"help"}, &out, &errOut))
	for _, name := range []string{"pub", "sub", "req", "reply", "bench", "server"} {
		assert.Contains(t, out.String(), "\n  "+name+" ", "starling help lists %s", name)
	}
	out.Reset()
	errOut.Reset()
	assert.Equal(t, exitOK, run(context.Background(), []string{"bench", "--help"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "--inflight N")
	errOut.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"pub", "--count", "x", "s"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "starling pub: invalid value")
}

// SIGINT and SIGTERM stop sub and reply through the dispatcher's signal
// context: exit status 0, the connection drained.
func TestSignalsStopCleanly(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
		says string
	}{
		{syscall.SIGINT, []string{"sub", "-s", s.ClientURL(), "x"}, "subscribed"},
		{syscall.SIGTERM, []string{"reply", "-s", s.ClientURL(), "x", "y"}, "answering requests"},
	} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		var stderr syncBuffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), tc.says) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		require.Contains(t, stderr.String(), tc.says)
		require.NoError(t, cmd.Process.Signal(tc.sig))
		select {
		case err := <-exited:
			assert.NoError(t, err, "%v: exit status 0; stderr:\n%s", tc.sig, stderr.String())
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("%v: no exit; stderr:\n%s", tc.sig, stderr.String())
		}
	}
}
