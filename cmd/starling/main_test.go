package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary act as the starling command, so a test can run it
// as a child process and signal it without building it first.
const runMainEnv = "STARLING_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// readInfo dials a client URL and returns the server's INFO.
func readInfo(t *testing.T, url string) map[string]any {
	t.Helper()
	addr := strings.TrimPrefix(url, "nats://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	js, ok := strings.CutPrefix(strings.TrimSpace(line), "INFO ")
	require.True(t, ok, line)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &info))
	return info
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var tempStoreRE = regexp.MustCompile(`store in (\S+) \(removed on exit\)`)

func TestServerRunsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--port", "0"}, pw, &stderr)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, stderr.String())
	go io.Copy(io.Discard, pr)
	url = strings.TrimSpace(url)
	assert.True(t, strings.HasPrefix(url, "nats://127.0.0.1:"), url)

	info := readInfo(t, url)
	assert.Equal(t, true, info["jetstream"])
	assert.Equal(t, "starling", info["server_name"])

	m := tempStoreRE.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	assert.DirExists(t, m[1])

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
	assert.NoDirExists(t, m[1], "the temporary store is removed")
	_, err = net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), time.Second)
	assert.Error(t, err, "nothing listens after exit")
}

func TestServerProcessStopsOnSIGINT(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	cmd := exec.Command(os.Args[0], "server", "--port", "0", "--store", store, "--name", "cli")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, stderr.String())
	info := readInfo(t, strings.TrimSpace(line))
	assert.Equal(t, "cli", info["server_name"])
	assert.Equal(t, true, info["jetstream"])

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		assert.NoError(t, err, "exit status 0 after Ctrl-C; stderr:\n%s", stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit after SIGINT; stderr:\n%s", stderr.String())
	}
	assert.DirExists(t, filepath.Join(store, "jetstream"), "a store given with --store is kept")
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, exitUsage, run(context.Background(), nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "usage: starling")

	out.Reset()
	assert.Equal(t, exitOK, run(context.Background(), []string{"help"}, &out, &errOut))
	assert.Contains(t, out.String(), "server")

	errOut.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"nope"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unknown command "nope"`)

	errOut.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"server", "--bogus"}, &out, &errOut))
	assert.Equal(t, exitUsage, run(context.Background(), []string{"server", "extra"}, &out, &errOut))
	assert.Equal(t, exitUsage, run(context.Background(), []string{"server", "--port", "70000"}, &out, &errOut))

	assert.Contains(t, errOut.String(), "see 'starling server -h'")

	out.Reset()
	assert.Equal(t, exitOK, run(context.Background(), []string{"server", "-h"}, &out, &errOut))
	assert.Contains(t, out.String(), "-store DIR")
}

func TestServerPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"server", "--js=false", "--port", strconv.Itoa(port)}, &out, &errOut)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut.String(), "address already in use")
	assert.Empty(t, out.String())
}
