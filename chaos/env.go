package chaos

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

// env lets the harness run outside a test (starling chaos): it is the testing.TB the
// harness asks for, with cleanups run by close, temporary directories removed, and a
// Fatalf that panics with a fatal value the campaign recovers at each goroutine's top.
// Only the methods the harness calls are defined; the embedded nil TB would panic on
// any other, which the harness's tests would have caught.
type env struct {
	testing.TB
	log io.Writer

	mu       sync.Mutex
	cleanups []func()
	dirs     []string
	failed   bool
	keepDirs bool
}

// fatal is what env.Fatalf panics with.
type fatal struct{ msg string }

func newEnv(log io.Writer) *env { return &env{log: log} }

func (e *env) Helper()      {}
func (e *env) Name() string { return "chaos" }

func (e *env) Fatalf(format string, args ...any) {
	e.setFailed()
	panic(fatal{fmt.Sprintf(format, args...)})
}

func (e *env) Errorf(format string, args ...any) {
	e.setFailed()
	e.Logf(format, args...)
}

func (e *env) Logf(format string, args ...any) {
	fmt.Fprintf(e.log, format+"\n", args...)
}

func (e *env) Cleanup(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, f)
}

func (e *env) TempDir() string {
	dir, err := os.MkdirTemp("", "starling-chaos-")
	if err != nil {
		e.Fatalf("chaos: %v", err)
	}
	e.mu.Lock()
	e.dirs = append(e.dirs, dir)
	e.mu.Unlock()
	return dir
}

func (e *env) Failed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed
}

func (e *env) setFailed() {
	e.mu.Lock()
	e.failed = true
	e.mu.Unlock()
}

// close runs the cleanups, last first (the harness stops its servers there), and
// removes the temporary directories unless the run failed: then they hold the
// servers' logs and stores, and their paths were printed.
func (e *env) close() {
	e.mu.Lock()
	cleanups := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() { _ = recover() }() // a failed stop must not skip the others
			cleanups[i]()
		}()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range e.dirs {
		if e.keepDirs {
			fmt.Fprintf(e.log, "chaos: servers' files kept in %s\n", d)
			continue
		}
		os.RemoveAll(d)
	}
}

// catch turns a harness failure (a fatal panic) into *err; other panics go on.
func catch(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(fatal); ok {
		*err = errors.New(f.msg)
		return
	}
	panic(r)
}
