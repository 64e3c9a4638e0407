package main_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subcommands lists the commands in "starling --help": every one gets its
// help checked, including those added later.
func subcommands(t *testing.T, path ...string) []string {
	t.Helper()
	r := run(t, cmdOpts{}, append(path, "--help")...)
	require.Equal(t, 0, r.code, r)
	var names []string
	in := false
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "Available Commands:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			in = false
		case in:
			names = append(names, strings.Fields(l)[0])
		}
	}
	return names
}

func TestHelpOnStdoutForEveryCommand(t *testing.T) {
	t.Parallel()
	cmds := subcommands(t)
	for _, want := range []string{"server", "pub", "sub", "req", "reply", "bench", "version", "completion"} {
		assert.Contains(t, cmds, want)
	}
	paths := [][]string{{}}
	for _, c := range cmds {
		paths = append(paths, []string{c})
		for _, sub := range subcommands(t, c) {
			paths = append(paths, []string{c, sub})
		}
	}
	for _, p := range paths {
		for _, flag := range []string{"--help", "-h"} {
			r := run(t, cmdOpts{}, append(p, flag)...)
			assert.Equal(t, 0, r.code, "%v %s: %v", p, flag, r)
			assert.Contains(t, r.stdout, "Usage:", "%v %s", p, flag)
			assert.Empty(t, r.stderr, "%v %s", p, flag)
		}
	}
	// "starling help pub" is "starling pub --help".
	r := run(t, cmdOpts{}, "help", "pub")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "starling pub SUBJECT [BODY]")
	// The connection flags are every command's.
	r = run(t, cmdOpts{}, "sub", "--help")
	for _, f := range []string{"--server", "--user", "--password", "--token", "--creds", "--nkey", "--tlscert", "--tlskey", "--tlsca", "--tlsfirst", "--timeout", "--connection-name", "--trace"} {
		assert.Contains(t, r.stdout, f)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := run(t, cmdOpts{}, args...)
		assert.Equal(t, 0, r.code, r)
		assert.True(t, strings.HasPrefix(r.stdout, "starling version "), r.stdout)
	}
	for shell, marker := range map[string]string{"bash": "bash completion", "zsh": "#compdef starling", "fish": "complete -c starling"} {
		r := run(t, cmdOpts{}, "completion", shell)
		assert.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, marker, shell)
	}
}

// A mistake in the command line exits 2 with one line naming it as typed.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `starling: unknown command "frobnicate" for "starling" (see 'starling --help')`},
		{[]string{"pub", "--nkeyfile", "x", "s", "b"}, "starling pub: unknown flag: --nkeyfile (see 'starling pub --help')"},
		{[]string{"pub", "--count", "many", "s"}, `starling pub: invalid argument "many" for "--count" flag`},
		{[]string{"pub"}, "starling pub: want SUBJECT [BODY], got 0 arguments (see 'starling pub --help')"},
		{[]string{"pub", "a..b", "x"}, `starling pub: invalid subject "a..b"`},
		{[]string{"req", "a b", "x"}, `starling req: invalid subject "a b"`},
		{[]string{"sub"}, "starling sub: want at least one SUBJECT"},
		{[]string{"sub", "ok", "bad subject"}, `starling sub: invalid subject "bad subject"`},
		{[]string{"reply", "s"}, "starling reply: give a BODY to answer with, or --echo"},
		{[]string{"pub", "--password", "p", "s", "b"}, "starling pub: --password needs --user"},
		{[]string{"pub", "--tlscert", "c", "s", "b"}, "starling pub: --tlscert and --tlskey go together"},
		{[]string{"pub", "--timeout", "0s", "s", "b"}, "starling pub: --timeout must be positive"},
		{[]string{"pub", "--templates", "s", "{{nope"}, "starling pub: BODY is not a valid template"},
		{[]string{"bench", "--only", "pub,fly"}, `starling bench: unknown section "fly" in --only`},
		{[]string{"bench", "--repliers", "0", "--only", "req"}, "starling bench: --repliers 0 needs the SUBJECT your replier answers on"},
		{[]string{"server", "--port", "70000"}, "starling server: invalid --port 70000"},
	} {
		r := run(t, cmdOpts{}, c.args...)
		assert.Equal(t, 2, r.code, "%v: %v", c.args, r)
		assert.Len(t, lines(r.stderr), 1, "%v: one line: %q", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
		assert.Empty(t, r.stdout, "%v: nothing printed before the refusal", c.args)
	}
}

// A failure is one line; --trace adds the chain of causes under it.
func TestErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	url := closedURL(t)
	r := run(t, cmdOpts{}, "pub", "-s", url, "s", "hi")
	assert.Equal(t, 1, r.code, r)
	assert.Equal(t, "starling pub: cannot connect to "+url+": connection refused\n", r.stderr)

	r = run(t, cmdOpts{}, "pub", "--trace", "-s", url, "s", "hi")
	assert.Equal(t, 1, r.code, r)
	ls := lines(r.stderr)
	require.Greater(t, len(ls), 2, r.stderr)
	assert.Equal(t, "starling pub: cannot connect to "+url+": connection refused", ls[0])
	assert.Contains(t, r.stderr, "*core.ConnectError")
	assert.Contains(t, r.stderr, "syscall.Errno: connection refused")
}
