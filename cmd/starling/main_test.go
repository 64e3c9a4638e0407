package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/starling-nats/starling/harness"
)

// The suite runs the starling command as users do: built once, then run
// as a process per case against harness servers.

// bin is the starling binary TestMain built.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "starling-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "starling")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building starling:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		return runVerified(m)
	}()
	os.Exit(code)
}

// runVerified runs the tests and then checks that no goroutine leaked.
func runVerified(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// closedURL is a nats:// URL where nothing listens: a port taken and let
// go again.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "nats://" + addr
}

// startServer starts a harness server stopped at the test's end.
func startServer(t *testing.T, opts ...harness.Option) *harness.Server {
	t.Helper()
	s, err := harness.Start(opts...)
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	return s
}

// cmdOpts shape one run of the command.
type cmdOpts struct {
	// env adds variables to the clean environment (no NATS_* of the
	// machine, STARLING_DEFAULT_URL pointing where nothing listens unless
	// set here).
	env map[string]string
	// stdin is piped in when not nil; otherwise stdin is /dev/null.
	stdin []byte
	// stdinFile is opened as stdin (a redirect "< file").
	stdinFile string
}

// result is what a finished run left.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// environ is the environment of a run.
func environ(t *testing.T, extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "NATS_") || strings.HasPrefix(kv, "STARLING_") {
			continue
		}
		env = append(env, kv)
	}
	if _, ok := extra["STARLING_DEFAULT_URL"]; !ok {
		env = append(env, "STARLING_DEFAULT_URL="+closedURL(t))
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func command(t *testing.T, ctx context.Context, o cmdOpts, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = environ(t, o.env)
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGINT) }
	c.WaitDelay = 10 * time.Second
	switch {
	case o.stdin != nil:
		c.Stdin = bytes.NewReader(o.stdin)
	case o.stdinFile != "":
		f, err := os.Open(o.stdinFile)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		c.Stdin = f
	}
	return c
}

// run runs starling to its end (at most 60 s, the machine is shared).
func run(t *testing.T, o cmdOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := command(t, ctx, o, args...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	require.NoError(t, ctx.Err(), "starling %v did not end in time; stderr:\n%s", args, errOut.String())
	r := result{stdout: out.String(), stderr: errOut.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "starling %v: %v", args, err)
		r.code = ee.ExitCode()
	}
	return r
}

// proc is a long-running starling (sub, reply, server).
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    syncBuffer
	errOut syncBuffer
	done   chan struct{}
	code   int
}

// start runs starling in the background; the test's end interrupts it.
func start(t *testing.T, o cmdOpts, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, done: make(chan struct{})}
	p.cmd = command(t, context.Background(), o, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	require.NoError(t, p.cmd.Start())
	go func() {
		err := p.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// waitStderr waits until stderr holds s.
func (p *proc) waitStderr(s string) {
	p.t.Helper()
	p.waitFor(&p.errOut, s)
}

// waitStdout waits until stdout holds s.
func (p *proc) waitStdout(s string) {
	p.t.Helper()
	p.waitFor(&p.out, s)
}

func (p *proc) waitFor(b *syncBuffer, s string) {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(b.String(), s) {
		select {
		case <-p.done:
			if strings.Contains(b.String(), s) {
				return
			}
			p.t.Fatalf("starling ended (exit %d) before printing %q\nstdout:\n%s\nstderr:\n%s", p.code, s, p.out.String(), p.errOut.String())
		case <-deadline:
			p.t.Fatalf("starling did not print %q\nstdout:\n%s\nstderr:\n%s", s, p.out.String(), p.errOut.String())
		case <-tick.C:
		}
	}
}

// wait waits for the process to end by itself and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(30 * time.Second):
		p.t.Fatalf("starling did not end\nstdout:\n%s\nstderr:\n%s", p.out.String(), p.errOut.String())
		return -1
	}
}

// stop interrupts the process (Ctrl-C) and returns its exit code.
func (p *proc) stop() int {
	select {
	case <-p.done:
		return p.code
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("starling did not stop on SIGINT\nstderr:\n%s", p.errOut.String())
	}
	return p.code
}

// syncBuffer is a bytes.Buffer for one writer and readers elsewhere.
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

var _ io.Writer = (*syncBuffer)(nil)

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
