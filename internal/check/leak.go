package check

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// LeakFree runs the tests and then fails the run if goroutines started during it are still
// alive after a grace period. It is the white-box tests' stand-in for goleak, which their
// module may not require; the internal/tests module checks with goleak itself.
//
//	func TestMain(m *testing.M) { os.Exit(check.LeakFree(m)) }
func LeakFree(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := strayGoroutines()
		if len(left) == 0 {
			return 0
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "check: %d goroutines outlived the tests:\n\n%s\n", len(left), strings.Join(left, "\n\n"))
			return 1
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// strayGoroutines lists the stacks of goroutines other than the caller's and the runtime's
// and testing package's own.
func strayGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.TrimSpace(g) == "" {
			continue // the first stack is the caller's own
		}
		if ignorable(g) {
			continue
		}
		left = append(left, g)
	}
	return left
}

func ignorable(stack string) bool {
	for _, s := range []string{
		"testing.(*M).",
		"testing.(*T).Run",
		"testing.tRunner",
		"os/signal.signal_recv",
		"os/signal.loop",
		"runtime.ensureSigM",
		"runtime/trace.Start",
		"created by runtime.gc",
		"runtime.ReadTrace",
	} {
		if strings.Contains(firstFrames(stack), s) {
			return true
		}
	}
	return false
}

// firstFrames is the goroutine's header, its top function and the line naming its creator,
// which is enough to recognise the runtime's and testing's own goroutines.
func firstFrames(stack string) string {
	lines := strings.Split(stack, "\n")
	head := lines[:min(3, len(lines))]
	for _, l := range lines {
		if strings.HasPrefix(l, "created by ") {
			head = append(head, l)
		}
	}
	return strings.Join(head, "\n")
}
