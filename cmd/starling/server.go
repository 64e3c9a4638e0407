package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/harness"
)

const serverLong = `Runs a nats-server inside this process on 127.0.0.1, prints its client URL
on stdout and stops it on Ctrl-C or SIGTERM. It listens on port 4222, where
every starling and nats command looks without being told; when that port is
taken it takes a free one and says so.`

func newServerCommand(g *globals) *cobra.Command {
	var (
		port   int
		store  string
		js     bool
		name   string
		config string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "run a nats-server (JetStream on) until Ctrl-C",
		Long:  serverLong,
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if port < 0 || port > 65535 {
				return usageErrorf(cmd, "invalid --port %d", port)
			}
			explicit := cmd.Flags().Changed("port")
			if !explicit {
				port = defaultServerPort(g.st.getenv)
			}
			return runServer(cmd.Context(), g.st, port, explicit, store, js, name, config)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&port, "port", 4222, "client port on 127.0.0.1 (0: a free port)")
	fl.StringVar(&store, "store", "", "JetStream store directory, kept on exit (default: a temporary one removed on exit)")
	fl.BoolVar(&js, "js", true, "enable JetStream")
	fl.StringVar(&name, "name", "starling", "server name")
	fl.StringVar(&config, "config", "", "nats-server configuration FILE appended to the generated one")
	return cmd
}

// defaultServerPort is the port of the default URL (4222, or that of
// $STARLING_DEFAULT_URL).
func defaultServerPort(getenv func(string) string) int {
	if hp, ok := hostPort(defaultServerURL(getenv)); ok {
		if _, p, err := net.SplitHostPort(hp); err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				return n
			}
		}
	}
	return 4222
}

// runServer starts an embedded nats-server through the harness on port (0:
// a free one; when port is only the default and taken, a free one too),
// prints its client URL on stdout and stops it when ctx ends.
func runServer(ctx context.Context, st *stdio, port int, explicit bool, store string, js bool, name, config string) error {
	opts := []harness.Option{harness.WithName(name)}
	if js {
		opts = append(opts, harness.WithJetStream())
		if store != "" {
			if err := os.MkdirAll(store, 0o755); err != nil {
				return err
			}
			opts = append(opts, harness.WithStoreDir(store))
		}
	}
	if config != "" {
		text, err := os.ReadFile(config)
		if err != nil {
			return err
		}
		opts = append(opts, harness.WithConfig(string(text)))
	}
	start := func(port int) (*harness.Server, error) {
		if port == 0 {
			return harness.Start(opts...)
		}
		return harness.Start(append(opts, harness.WithPort(port))...)
	}
	s, err := start(port)
	if err != nil && explicit && port != 0 && portTaken(port) {
		return fmt.Errorf("port %d on 127.0.0.1 is taken (--port 0 takes a free one)", port)
	}
	if err != nil && !explicit && port != 0 && portTaken(port) {
		fmt.Fprintf(st.stderr, "starling: port %d is taken; listening on a free port instead\n", port)
		s, err = start(0)
	}
	if err != nil {
		return err
	}
	defer s.Stop()

	fmt.Fprintln(st.stdout, s.ClientURL())
	version := s.Info().Version
	switch {
	case !js:
		fmt.Fprintf(st.stderr, "nats-server %s running; Ctrl-C to stop\n", version)
	case store != "":
		fmt.Fprintf(st.stderr, "nats-server %s running, JetStream store in %s; Ctrl-C to stop\n", version, store)
	default:
		fmt.Fprintf(st.stderr, "nats-server %s running, JetStream store in %s (removed on exit); Ctrl-C to stop\n", version, s.Dir())
	}
	<-ctx.Done()
	fmt.Fprintln(st.stderr, "stopping")
	return nil
}

// portTaken reports whether something listens on 127.0.0.1:port.
func portTaken(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
