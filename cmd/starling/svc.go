package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/svc"
)

const svcLong = `Finds, describes and measures NATS services (the Service API of ADR-32,
which nats.go's micro package and 'nats micro' use too), and runs a demo
one. Instances answer on $SRV.PING, $SRV.INFO and $SRV.STATS; every
instance that answers within --wait of the last answer is listed.

Try it in three terminals, no flags needed:
  starling server
  starling svc serve
  starling svc ls`

// svcFlags are the flags every svc query shares.
type svcFlags struct {
	wait   time.Duration
	prefix string
	json   bool
}

func (f *svcFlags) register(c *cobra.Command) {
	c.PersistentFlags().DurationVar(&f.wait, "wait", svc.DefaultStallTimeout, "how long to wait for another instance after the last answer")
	c.PersistentFlags().StringVar(&f.prefix, "prefix", svc.DefaultPrefix, "the first token of the discovery subjects")
	c.PersistentFlags().BoolVar(&f.json, "json", false, "print the answers as JSON, one per line")
}

func newSvcCommand(g *globals) *cobra.Command {
	f := &svcFlags{}
	cmd := &cobra.Command{
		Use:     "svc",
		Aliases: []string{"micro", "service"},
		Short:   "find, describe, measure and run NATS services",
		Long:    svcLong,
		Args:    exactArgs(0, ""),
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f.register(cmd)
	cmd.AddCommand(newSvcLsCommand(g, f), newSvcInfoCommand(g, f), newSvcStatsCommand(g, f),
		newSvcPingCommand(g, f), newSvcServeCommand(g))
	return cmd
}

// svcQuery validates the query's arguments and flags, connects, and hands
// the connection to ask; it closes everything after.
func svcQuery(g *globals, f *svcFlags, cmd *cobra.Command, args []string, ask func(context.Context, queryConn) error) error {
	if f.wait <= 0 {
		return usageErrorf(cmd, "--wait must be positive")
	}
	name, id := "", ""
	if len(args) > 0 {
		name = args[0]
	}
	if len(args) > 1 {
		id = args[1]
	}
	if _, err := svc.DiscoverySubject(f.prefix, svc.VerbPing, name, id); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	l, err := g.open(cmd)
	if err != nil {
		return err
	}
	if l.embedded != nil {
		fmt.Fprintf(g.st.stderr, "starling: warning: no service can reach this embedded server; start one with 'starling server' and 'starling svc serve', or give --server\n")
	}
	nc, err := l.connect(cmd.Context(), "starling svc")
	if err == nil {
		err = ask(cmd.Context(), queryConn{conn: nc, name: name, id: id,
			opts: []svc.QueryOption{svc.WithStallTimeout(f.wait), svc.WithPrefix(f.prefix)}})
	}
	if cerr := l.close(); err == nil {
		err = cerr
	}
	return ignoreCancel(cmd.Context(), err)
}

type queryConn struct {
	conn     *conn
	name, id string
	opts     []svc.QueryOption
}

// gather runs a discovery query to its end, sorted by name then id, so
// that output does not depend on which instance answered first.
func gather[T any](seq func(func(*T, error) bool), key func(*T) string) ([]*T, error) {
	var out []*T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out, nil
}

func printJSON[T any](w io.Writer, vs []*T) error {
	enc := json.NewEncoder(w)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

func identityKey(id svc.Identity) string { return id.Name + "\x00" + id.ID }

func newSvcLsCommand(g *globals, f *svcFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "ls [NAME]",
		Aliases: []string{"list"},
		Short:   "list the service instances that answer",
		Args:    rangeArgs(0, 1, "[NAME]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return svcQuery(g, f, cmd, args, func(ctx context.Context, q queryConn) error {
				infos, err := gather(svc.Info(ctx, q.conn.Conn, q.name, "", q.opts...),
					func(i *svc.InfoResponse) string { return identityKey(i.Identity) })
				if err != nil {
					return err
				}
				w := g.st.stdout
				if f.json {
					return printJSON(w, infos)
				}
				if len(infos) == 0 {
					fmt.Fprintln(g.st.stderr, "starling: no service answered")
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tVERSION\tID\tENDPOINTS\tDESCRIPTION")
				for _, i := range infos {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", i.Name, i.Version, i.ID, len(i.Endpoints), i.Description)
				}
				return tw.Flush()
			})
		},
	}
}

func newSvcInfoCommand(g *globals, f *svcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "info NAME [ID]",
		Short: "describe a service's instances and their endpoints",
		Args:  rangeArgs(1, 2, "NAME [ID]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return svcQuery(g, f, cmd, args, func(ctx context.Context, q queryConn) error {
				infos, err := gather(svc.Info(ctx, q.conn.Conn, q.name, q.id, q.opts...),
					func(i *svc.InfoResponse) string { return identityKey(i.Identity) })
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(g.st.stdout, infos)
				}
				if len(infos) == 0 {
					return fmt.Errorf("no instance of service %q answered", q.name)
				}
				w := g.st.stdout
				for n, i := range infos {
					if n > 0 {
						fmt.Fprintln(w)
					}
					fmt.Fprintf(w, "Service %s %s (instance %s)\n", i.Name, i.Version, i.ID)
					if i.Description != "" {
						fmt.Fprintf(w, "  Description: %s\n", i.Description)
					}
					printMetadata(w, "  ", i.Metadata)
					fmt.Fprintf(w, "  Endpoints: %d\n", len(i.Endpoints))
					for _, e := range i.Endpoints {
						queue := e.QueueGroup
						if queue == "" {
							queue = "(none: every instance answers)"
						}
						fmt.Fprintf(w, "    %s\n      Subject:     %s\n      Queue group: %s\n", e.Name, e.Subject, queue)
						printMetadata(w, "      ", e.Metadata)
					}
				}
				return nil
			})
		},
	}
}

func printMetadata(w io.Writer, indent string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	fmt.Fprintf(w, "%sMetadata:    %s\n", indent, strings.Join(parts, ", "))
}

func newSvcStatsCommand(g *globals, f *svcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "stats NAME [ID]",
		Short: "show the request counters of a service's instances, per endpoint",
		Args:  rangeArgs(1, 2, "NAME [ID]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return svcQuery(g, f, cmd, args, func(ctx context.Context, q queryConn) error {
				stats, err := gather(svc.Stats(ctx, q.conn.Conn, q.name, q.id, q.opts...),
					func(s *svc.StatsResponse) string { return identityKey(s.Identity) })
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(g.st.stdout, stats)
				}
				if len(stats) == 0 {
					return fmt.Errorf("no instance of service %q answered", q.name)
				}
				tw := tabwriter.NewWriter(g.st.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tENDPOINT\tREQUESTS\tERRORS\tPROCESSING\tAVERAGE\tLAST ERROR")
				var reqs, errs int
				var total time.Duration
				for _, s := range stats {
					for _, e := range s.Endpoints {
						fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%v\t%v\t%s\n", s.ID, e.Name, e.NumRequests, e.NumErrors,
							e.ProcessingTime, e.AverageProcessingTime, e.LastError)
						reqs, errs, total = reqs+e.NumRequests, errs+e.NumErrors, total+e.ProcessingTime
					}
				}
				avg := time.Duration(0)
				if reqs > 0 {
					avg = total / time.Duration(reqs)
				}
				fmt.Fprintf(tw, "total\t%d instances\t%d\t%d\t%v\t%v\t\n", len(stats), reqs, errs, total, avg)
				return tw.Flush()
			})
		},
	}
}

func newSvcPingCommand(g *globals, f *svcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "ping [NAME [ID]]",
		Short: "ping service instances and print who answered, and how fast",
		Args:  rangeArgs(0, 2, "[NAME [ID]]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return svcQuery(g, f, cmd, args, func(ctx context.Context, q queryConn) error {
				start := time.Now()
				n := 0
				for p, err := range svc.Ping(ctx, q.conn.Conn, q.name, q.id, q.opts...) {
					if err != nil {
						return err
					}
					n++
					if f.json {
						if err := printJSON(g.st.stdout, []*svc.PingResponse{p}); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(g.st.stdout, "%s %s %s: %v\n", p.Name, p.Version, p.ID, time.Since(start).Round(time.Microsecond))
				}
				if n == 0 {
					return fmt.Errorf("no service answered")
				}
				return nil
			})
		},
	}
}

const svcServeLong = `Runs a demo service named echo (or --name), so that discovery can be seen
at work: its group "echo" holds two endpoints, echo.echo, which answers with
the request's body, and echo.upper, which answers with it in capitals. An
empty body is answered with a 400 error. Runs until Ctrl-C, then stops the
service gracefully (requests already received are answered).

Examples:
  starling svc serve
  starling req echo.upper 'hello'
  starling svc stats echo`

func newSvcServeCommand(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run a demo echo service with a group of two endpoints",
		Long:  svcServeLong,
		Args:  exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := svc.DiscoverySubject("", svc.VerbPing, name, ""); err != nil {
				return usageErrorf(cmd, "--name: %v", err)
			}
			l, err := g.open(cmd)
			if err != nil {
				return err
			}
			err = serveDemo(cmd.Context(), g.st, l, name)
			if cerr := l.close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "echo", "the service's name and the group's prefix")
	return cmd
}

func serveDemo(ctx context.Context, st *stdio, l *link, name string) error {
	nc, err := l.connect(ctx, "starling svc serve")
	if err != nil {
		return err
	}
	srv, err := svc.Add(nc.Conn, svc.Config{
		Name: name, Version: "1.0.0", Description: "Starling's demo echo service",
		Metadata: map[string]string{"client": "starling"},
	})
	if err != nil {
		return err
	}
	g, err := srv.AddGroup(name)
	if err == nil {
		_, err = g.AddEndpoint("echo", svc.HandlerFunc(func(r *svc.Request) {
			if len(r.Data()) == 0 {
				_ = r.Error(400, "empty body: send something to echo", nil)
				return
			}
			_ = r.Respond(r.Data(), svc.WithHeaders(r.Headers()))
		}), svc.WithMetadata(map[string]string{"answers": "the body"}))
	}
	if err == nil {
		_, err = g.AddEndpoint("upper", svc.HandlerFunc(func(r *svc.Request) {
			if len(r.Data()) == 0 {
				_ = r.Error(400, "empty body: send something to capitalize", nil)
				return
			}
			_ = r.Respond([]byte(strings.ToUpper(string(r.Data()))))
		}), svc.WithMetadata(map[string]string{"answers": "the body in capitals"}))
	}
	if err == nil {
		err = nc.Flush(ctx)
	}
	if err != nil {
		stopService(srv)
		return ignoreCancel(ctx, err)
	}
	fmt.Fprintf(st.stderr, "starling: service %q (instance %s) answers on %s.echo and %s.upper on %s\n",
		name, srv.ID(), name, name, redact(nc.ConnectedURL()))
	if l.embedded != nil {
		fmt.Fprintf(st.stderr, "starling: from another terminal: starling svc ls -s %s; starling req -s %s %s.upper hello\n", l.url, l.url, name)
	} else {
		fmt.Fprintf(st.stderr, "starling: from another terminal: starling svc ls; starling req %s.upper hello\n", name)
	}
	select {
	case <-ctx.Done():
	case <-srv.Done():
		// The connection closed under the service (the server went away
		// for good): say why.
		stopService(srv)
		if err := nc.Err(); err != nil {
			return fmt.Errorf("service stopped: %w", err)
		}
		return nil
	}
	return stopService(srv)
}

// stopService stops srv within drainTimeout.
func stopService(srv *svc.Service) error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		return fmt.Errorf("stopping the service: %w", err)
	}
	return nil
}
