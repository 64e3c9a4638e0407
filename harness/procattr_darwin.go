package harness

import "syscall"

// procAttr puts the server in its own process group. macOS has no parent-death
// signal: a test binary that crashes leaves the server running until killed.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
