package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/starling-nats/starling/harness"
)

// defaultServerPort is nats-server's own default, so other NATS tools find the
// embedded server without being told where it is.
const defaultServerPort = 4222

func init() {
	register(command{
		name:    "server",
		summary: "run an embedded nats-server (JetStream on) until Ctrl-C",
		run:     runServer,
	})
}

// runServer starts an embedded nats-server through the harness, prints its client URL
// on stdout (and where it keeps its store on stderr) and stops it when ctx ends.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	// Parse mistakes are reported once by the dispatcher; help goes to stdout on request.
	fs.SetOutput(io.Discard)
	port := fs.Int("port", defaultServerPort, "client `PORT` on 127.0.0.1 (0: a free port)")
	store := fs.String("store", "", "JetStream store `DIR`, kept on exit (default: a temporary directory removed on exit)")
	js := fs.Bool("js", true, "enable JetStream")
	name := fs.String("name", "starling", "server `NAME`")
	config := fs.String("config", "", "nats-server configuration `FILE` appended to the generated one")
	if err := parseFlags(fs, args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, "Usage: starling server [flags]\n\n"+
				"Runs a nats-server inside this process on 127.0.0.1, prints its client URL on\n"+
				"stdout and stops it on Ctrl-C or SIGTERM.\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return err
	}
	if *port < 0 || *port > 65535 {
		return usageError{fmt.Errorf("invalid --port %d (see 'starling server -h')", *port)}
	}

	opts := []harness.Option{harness.WithName(*name)}
	if *port != 0 {
		opts = append(opts, harness.WithPort(*port))
	}
	if *js {
		opts = append(opts, harness.WithJetStream())
		if *store != "" {
			if err := os.MkdirAll(*store, 0o755); err != nil {
				return err
			}
			opts = append(opts, harness.WithStoreDir(*store))
		}
	}
	if *config != "" {
		text, err := os.ReadFile(*config)
		if err != nil {
			return err
		}
		opts = append(opts, harness.WithConfig(string(text)))
	}
	s, err := harness.Start(opts...)
	if err != nil {
		return err
	}
	defer s.Stop()

	fmt.Fprintln(stdout, s.ClientURL())
	version := s.Info().Version
	switch {
	case !*js:
		fmt.Fprintf(stderr, "nats-server %s running; Ctrl-C to stop\n", version)
	case *store != "":
		fmt.Fprintf(stderr, "nats-server %s running, JetStream store in %s; Ctrl-C to stop\n", version, *store)
	default:
		fmt.Fprintf(stderr, "nats-server %s running, JetStream store in %s (removed on exit); Ctrl-C to stop\n", version, s.Dir())
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping")
	return nil
}
