package harness

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// procAttr puts the server in its own process group. macOS has no parent-death
// signal: a test binary that crashes leaves the server running until killed.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// isStopped reports whether process pid has stopped (SIGSTOP is delivered
// asynchronously).
func isStopped(pid int) (bool, error) {
	out, err := exec.Command("ps", "-o", "state=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return false, err
	}
	return strings.HasPrefix(strings.TrimSpace(string(out)), "T"), nil
}
