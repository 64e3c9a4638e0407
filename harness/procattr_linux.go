package harness

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// procAttr puts the server in its own process group (a Ctrl-C meant for the test does
// not reach it) and has the kernel kill it when the test binary dies without cleaning
// up. The kernel ties Pdeathsig to the OS thread that started the child, not the
// process; Go keeps its threads for the life of the process unless a goroutine exits
// while locked to one (runtime.LockOSThread), so in practice the server lives exactly
// as long as the test binary.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// isStopped reports whether every thread of process pid has stopped (SIGSTOP is
// delivered asynchronously: kill returns before the threads are parked).
func isStopped(pid int) (bool, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		return false, fmt.Errorf("harness: no threads of process %d: %v", pid, err)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		// The state follows the parenthesised command name, which may contain spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return false, fmt.Errorf("harness: unexpected %s: %q", f, b)
		}
		if st := b[i+2]; st != 'T' && st != 't' {
			return false, nil
		}
	}
	return true, nil
}
