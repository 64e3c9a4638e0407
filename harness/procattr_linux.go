package harness

import "syscall"

// procAttr puts the server in its own process group (a Ctrl-C to the test does not
// reach it first) and has the kernel kill it if the test binary dies without cleaning
// up. Pdeathsig follows the thread that started the child; Go keeps its threads
// alive unless a goroutine exits while locked to one, which the harness never does.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
