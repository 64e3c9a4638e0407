package main

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// globals is what every command shares: the connection flags of the root
// command, --trace, and the process's stdio.
type globals struct {
	conn  connFlags
	trace bool
	st    *stdio
	// ran is set when a command's RunE starts: an error before that came
	// from cobra parsing the command line (exit 2).
	ran bool
}

// newRootCommand builds the command tree. To add a subcommand, write its
// newXxxCommand(g) in a file of its own and add it to the list below.
func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "starling",
		Short: "Starling's NATS command-line tool",
		Long: `starling talks to NATS servers with the Starling client: publish, subscribe,
request, reply, run a server and measure. Its flags and environment variables
are the nats CLI's.`,
		Version:       version(),
		SilenceErrors: true, // run prints errors as one line
		SilenceUsage:  true, // a mistake gets one line, not the whole help
	}
	root.SetOut(g.st.stdout)
	root.SetErr(g.st.stderr)
	root.SetIn(g.st.stdin)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf(c, "%v", err)
	})
	root.PersistentFlags().BoolVar(&g.trace, "trace", false, "print the whole chain of causes of an error")
	g.conn.register(root.PersistentFlags())

	// The registration point: one line per subcommand.
	root.AddCommand(
		newServerCommand(g),
		newPubCommand(g),
		newSubCommand(g),
		newReqCommand(g),
		newReplyCommand(g),
		newBenchCommand(g),
		newSvcCommand(g),
		newKVCommand(g),
		newStreamCommand(g),
		newConsumerCommand(g),
		newJSCommand(g),
		newObjCommand(g),
		newChaosCommand(g),
		newVersionCommand(g),
	)
	markRun(root, g)
	return root
}

// markRun makes every command's RunE set g.ran first, so run can tell a
// failure of the work from a command line cobra refused.
func markRun(c *cobra.Command, g *globals) {
	if f := c.RunE; f != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			g.ran = true
			return f(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub, g)
	}
}

// version is the module version the binary was built from, "(devel)" for
// a build from a work tree.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newVersionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print starling's version",
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.Println("starling version " + version())
			return nil
		},
	}
}

// exactArgs, rangeArgs and minArgs check the positional arguments, turning
// a wrong count into a usage error; want names them ("SUBJECT [BODY]").
func exactArgs(n int, want string) cobra.PositionalArgs { return rangeArgs(n, n, want) }

func minArgs(n int, want string) cobra.PositionalArgs { return rangeArgs(n, -1, want) }

func rangeArgs(lo, hi int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && (hi < 0 || len(args) <= hi) {
			return nil
		}
		if want == "" {
			return usageErrorf(cmd, "unexpected arguments %q", args)
		}
		return usageErrorf(cmd, "want %s, got %d arguments", want, len(args))
	}
}
