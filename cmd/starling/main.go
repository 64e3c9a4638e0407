package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], osStdio(os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, st *stdio) int {
	g := &globals{st: st}
	root := newRootCommand(g)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	name := "starling"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	// Errors cobra finds before a command runs (an unknown command or flag, a
	// bad flag value, wrong arguments) are mistakes in the command line.
	usage := !g.ran || errors.As(err, new(usageError))
	printError(st.stderr, name, err, g.trace, usage && !g.ran && cmd != nil)
	if usage {
		return exitUsage
	}
	return exitFail
}

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usageErrorf is a mistake in the command line of cmd (nil: none in
// particular); the message points to the command's help.
func usageErrorf(cmd cmdPath, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != nil {
		msg += fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
	}
	return usageError{errors.New(msg)}
}

// printError writes err as one line after the command's name; with trace,
// every error of its chain follows on a line of its own. hint adds the
// pointer to the help that cobra's own errors lack.
func printError(w io.Writer, name string, err error, trace, hint bool) {
	msg := summary(err)
	if hint && !strings.Contains(msg, "--help')") {
		msg += fmt.Sprintf(" (see '%s --help')", name)
	}
	fmt.Fprintf(w, "%s: %s\n", name, msg)
	if !trace {
		return
	}
	for i, e := range chain(err) {
		fmt.Fprintf(w, "  %d: %T: %s\n", i, e, strings.ReplaceAll(e.Error(), "\n", "; "))
	}
}
