// Command starling is Starling's command-line tool, shaped after the nats CLI so that
// its users need no help to start:
//
//	starling server                       run a nats-server (127.0.0.1:4222, else a free port)
//	starling pub SUBJECT [BODY]           publish (BODY from stdin when it is piped in)
//	starling sub SUBJECT...               print the messages on one or more subjects
//	starling sub --stream S [SUBJECT...]  read stream S in order (--new, --last, --since 1h, ...)
//	starling req SUBJECT [BODY]           send a request, print the replies
//	starling reply SUBJECT [BODY]         answer requests
//	starling bench                        measure publish, pub→sub, request/reply
//	starling stream add|ls|info|edit|get|purge|rm   manage JetStream streams
//	starling js pub SUBJECT [BODY]        publish to a stream, print its acknowledgement
//	starling kv add|put|get|create|update|del|purge|watch|ls|history|status|rm   Key-Value buckets
//	starling chaos [--seed N]             the fault campaign (3-node cluster, nemesis, checker)
//	starling version, starling completion bash|zsh|fish
//
// # Connection flags and environment
//
// Every command takes the nats CLI's connection flags, each with its environment
// variable: -s/--server (NATS_URL), --user (NATS_USER; alone it is a token, as for the
// nats CLI), --password (NATS_PASSWORD), --token (NATS_TOKEN), --creds (NATS_CREDS),
// --nkey (NATS_NKEY), --tlscert (NATS_CERT), --tlskey (NATS_KEY), --tlsca (NATS_CA),
// --tlsfirst, --timeout and --connection-name. A flag wins over its variable.
//
// Without --server or NATS_URL a command tries nats://127.0.0.1:4222 first, as the nats
// CLI does, and starts an embedded nats-server only when nothing answers there, saying
// so on stderr. STARLING_DEFAULT_URL replaces nats://127.0.0.1:4222 (tests use it to
// stay off port 4222); "starling server" listens on its port too.
//
// # Exit status and errors
//
// 0 on success, 1 when the work failed (no responders, a timeout, a refused
// connection), 2 for a mistake in the command line. Errors are one line on stderr;
// --trace prints the chain of causes under it.
//
// # Adding a subcommand
//
// A subcommand is one file holding a constructor
//
//	func newThingCommand(g *globals) *cobra.Command
//
// and one line in the list in newRootCommand (root.go). Its RunE reaches the server
// through the shared connection flags:
//
//	l, err := g.open(cmd)          // --server, NATS_URL, else 127.0.0.1:4222, else embedded
//	if err != nil { return err }
//	defer l.close()
//	nc, err := l.connect(cmd.Context(), "starling thing")  // nc embeds *core.Conn
//
// Mistakes in the command line are returned as usageErrorf(cmd, ...) (exit 2); use
// exactArgs, rangeArgs or minArgs for cobra's Args so that argument errors are usage
// errors too. Everything else returned from RunE exits 1, printed as one line by run
// (errors.go shortens connect failures). Write output to g.st.stdout and messages to
// g.st.stderr. nc.Conn is the *core.Conn for packages built on core (js, kv, svc).
//
// Tests run the built binary as a process (main_test.go builds it once): run(t,
// cmdOpts{...}, args...) for a command that ends, start(t, ...) for one that runs until
// interrupted, startServer(t, harness options...) for a server to point it at. A new
// subcommand's --help is checked by TestHelpOnStdoutForEveryCommand without a line of
// its own.
package main
