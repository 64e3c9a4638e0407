// Command starling is Starling's command-line tool. Each subcommand lives in a file of
// its own and registers itself with register; main only dispatches.
//
//	starling server [--port N] [--store DIR] [--js=true]   run an embedded nats-server
//	starling pub [flags] SUBJECT [BODY]                      publish messages
//	starling sub [flags] SUBJECT                             print the messages on a subject
//	starling req [flags] SUBJECT [BODY]                      send a request, print the replies
//	starling reply [flags] SUBJECT [BODY]                    answer requests
//	starling bench [flags]                                   benchmark publish, pub→sub, request/reply
//
// pub, sub, req, reply and bench take -s/--server (or $NATS_URL) and the nats CLI's
// auth and TLS flags; without a server they start an embedded one.
//
// Run "starling help" for the list, "starling <command> -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run gets the arguments after the subcommand's name and
// must return when ctx is cancelled (Ctrl-C, SIGTERM). Its error sets the exit status:
// nil or flag.ErrHelp (help printed) 0, a *usageError (a mistake in the command line)
// 2, anything else 1.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand's file calls it from init, so adding one
// touches no other file.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("starling: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// run dispatches args to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		// "starling help pub" is "starling pub -h".
		if len(args) > 1 {
			if _, ok := commands[args[1]]; ok {
				return run(ctx, []string{args[1], "-h"}, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "starling: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // help was asked for and printed
		return exitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "starling %s: %v\n", name, err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "starling %s: %v\n", name, err)
		return exitFail
	}
}

// usageError marks a mistake in the command line; the dispatcher prints it and exits
// with status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// parseFlags parses args with a standard flag set that takes no positional arguments,
// turning a mistake into a usageError that points to the command's help.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{fmt.Errorf("%w (see 'starling %s -h')", err, fs.Name())}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: starling <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'starling <command> -h' for a command's flags.")
}
