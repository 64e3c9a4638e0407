package harness

import "syscall"

// procAttr puts the server in its own process group (a Ctrl-C meant for the test does
// not reach it) and has the kernel kill it when the test binary dies without cleaning
// up. The kernel ties Pdeathsig to the OS thread that started the child, not the
// process; Go keeps its threads for the life of the process unless a goroutine exits
// while locked to one (runtime.LockOSThread), so in practice the server lives exactly
// as long as the test binary.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
