package harness_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestProcessKillRestartKeepsStore(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithProcess(), harness.WithJetStream(), harness.WithName("proc"))
	pid := s.PID()
	require.NotZero(t, pid)
	assert.NotEqual(t, os.Getpid(), pid)
	inf := s.Info()
	assert.Equal(t, "proc", inf.Name)
	assert.True(t, inf.JetStream)
	assert.NotZero(t, inf.MonitorPort)

	rc := connectRaw(t, s.Addr(), nil)
	createStream(t, rc, "EVENTS", 1)
	publish(t, rc, "EVENTS.a", "x")
	publish(t, rc, "EVENTS.b", "y")

	s.Kill()
	assert.False(t, s.Running())
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the process is gone")
	err := readUntilErr(rc, 5*time.Second)
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "a killed server's connections break")
	rc.Close()

	s.Restart()
	assert.NotEqual(t, pid, s.PID())
	rc = connectRaw(t, s.Addr(), nil)
	defer rc.Close()
	assert.EqualValues(t, 2, streamMsgs(t, rc, "EVENTS"))
}

func TestProcessFreezeThaw(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithProcess())
	assert.False(t, s.Info().JetStream)
	rc := connectRaw(t, s.Addr(), nil)
	defer rc.Close()

	s.Freeze()
	err := rc.ping(300 * time.Millisecond)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a frozen server does not answer")
	s.Thaw()
	// The PING sent while frozen is answered now.
	require.NoError(t, rc.waitPong(5*time.Second))
	require.NoError(t, rc.ping(5*time.Second))
}

func TestProcessReloadAndLameDuck(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithProcess(), harness.WithUser("a", "pw"))
	require.NoError(t, s.Reload(harness.WithUser("b", "pw2")))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "b", "pass": "pw2"}, nil))
	// A configuration the server rejects is reported, and the old one stays.
	assert.Error(t, s.Reload(harness.WithConfig("max_payload: \"not a size\"")))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "a", "pass": "pw"}, nil))

	rc := connectRaw(t, s.Addr(), map[string]any{"user": "a", "pass": "pw"})
	defer rc.Close()
	s.LameDuck()
	requireLDMInfo(t, rc)
	s.Restart()
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "a", "pass": "pw"}, nil))
}

func TestNonProcessSignalsFail(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	assert.Zero(t, s.PID())
	ft := &fakeTB{TB: t}
	// Kill on an in-process server is a test bug: it fails the test.
	func() {
		defer func() { recover() }()
		harness.RunServer(ft).Kill()
	}()
	assert.True(t, ft.failed)
}
