package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
)

// Helpers of the pub, sub, req, reply and bench tests. syncBuffer and
// runMainEnv come from main_test.go.

// cmdFunc is the shape of the commands under test (pubCommand, ...).
type cmdFunc func(ctx context.Context, st *stdio, args []string) error

// testStdio returns a stdio with buffers and an environment of its own
// (env: name → value; everything else unset), so tests can run in parallel.
func testStdio(env map[string]string, stdin string) (*stdio, *syncBuffer, *syncBuffer) {
	var out, errOut syncBuffer
	return &stdio{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string { return env[k] },
	}, &out, &errOut
}

// runCmd runs a command to its end (at most 20 s).
func runCmd(t *testing.T, f cmdFunc, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCmdEnv(t, nil, "", f, args...)
}

func runCmdEnv(t *testing.T, env map[string]string, stdin string, f cmdFunc, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, out, errOut := testStdio(env, stdin)
	err = f(ctx, st, args)
	require.NoError(t, ctx.Err(), "the command did not end in time; stderr:\n%s", errOut.String())
	return out.String(), errOut.String(), err
}

// bg is a long-running command (sub, reply) started in the background.
type bg struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	out    *syncBuffer
	errOut *syncBuffer
	err    error
	ended  bool
}

// startCmd runs a command in the background; the test's cleanup stops it.
func startCmd(t *testing.T, env map[string]string, f cmdFunc, args ...string) *bg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, out, errOut := testStdio(env, "")
	b := &bg{t: t, cancel: cancel, done: make(chan error, 1), out: out, errOut: errOut}
	go func() { b.done <- f(ctx, st, args) }()
	t.Cleanup(func() { b.stop() })
	return b
}

// waitStderr waits until stderr contains s and returns all of it.
func (b *bg) waitStderr(s string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e := b.errOut.String(); strings.Contains(e, s) {
			return e
		}
		select {
		case err := <-b.done:
			b.ended, b.err = true, err
			b.t.Fatalf("the command ended (%v) before writing %q; stderr:\n%s", err, s, b.errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	b.t.Fatalf("no %q on stderr within 10s; stderr:\n%s", s, b.errOut.String())
	return ""
}

// waitStdout waits until stdout contains s.
func (b *bg) waitStdout(s string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if o := b.out.String(); strings.Contains(o, s) {
			return o
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("no %q on stdout within 10s; stdout:\n%s\nstderr:\n%s", s, b.out.String(), b.errOut.String())
	return ""
}

// wait waits for the command to end by itself and returns its error.
func (b *bg) wait() error {
	b.t.Helper()
	if b.ended {
		return b.err
	}
	select {
	case b.err = <-b.done:
		b.ended = true
	case <-time.After(15 * time.Second):
		b.t.Fatalf("the command did not end; stderr:\n%s", b.errOut.String())
	}
	return b.err
}

// stop cancels the command (Ctrl-C) and returns its error.
func (b *bg) stop() error {
	b.cancel()
	if b.ended {
		return b.err
	}
	select {
	case b.err = <-b.done:
		b.ended = true
	case <-time.After(15 * time.Second):
		b.t.Errorf("the command did not stop on cancel; stderr:\n%s", b.errOut.String())
	}
	return b.err
}

// connect opens a Starling connection for the test's side of an exchange.
func connect(t *testing.T, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// nextMsg reads one message or fails after 5 s.
func nextMsg(t *testing.T, sub *core.Subscription) *core.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sub.Next(ctx)
	require.NoError(t, err)
	return m
}

// syncSub subscribes for pull and makes sure the server knows it.
func syncSub(t *testing.T, nc *core.Conn, subject string, opts ...core.SubOption) *core.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(subject, opts...)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, nc.Flush(ctx))
	return sub
}
