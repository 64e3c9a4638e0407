package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/chaos"
)

func newChaosCommand(g *globals) *cobra.Command {
	var (
		cfg   chaos.Config
		soak  chaos.SoakConfig
		kinds string
		quiet bool
		check string
	)
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "run the fault campaign: a 3-node cluster under faults, then a check that nothing acknowledged was lost",
		Long: `Starts a 3-node nats-server cluster as processes with a proxy on every client
link and every route, an R3 stream written by concurrent publishers (MsgIDs, so an
ambiguous timeout is republished), and a nemesis that kills, freezes, partitions and
delays nodes and forces leader stepdowns on a schedule drawn from --seed. Then it heals
every fault and checks the history: nothing acknowledged lost, nothing stored twice,
unknown outcomes counted. It prints the seed first; --seed N replays that schedule.
A failing run writes history.jsonl and timeline.html (in --out, or a new temporary
directory) and exits 1. It uses no server of yours: --server is ignored.

With --soak D it runs the soak instead: one JetStream server, publishers, a JetStream
publisher and a subscriber whose connections are forced to reconnect every
--reconnect-every, this process's live heap and goroutines sampled every
--sample-every; it fails when the heap grows more than 16 MiB after the first sample
or the goroutines do not come back to their count before the clients.`,
		Example: `  starling chaos                       # a one-minute campaign with a fresh seed
  starling chaos --seed 42 --duration 10m
  starling chaos --kinds kill,freeze --out ./chaos-out --keep-history
  starling chaos --soak 30m            # forced reconnects under load; heap and goroutines each minute`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kinds != "" {
				for _, k := range strings.Split(kinds, ",") {
					k = strings.TrimSpace(k)
					if !validKind(k) {
						return usageErrorf(cmd, "unknown fault kind %q (one of %s)", k, kindList())
					}
					cfg.Kinds = append(cfg.Kinds, chaos.Kind(k))
				}
			}
			if !quiet {
				cfg.Log, soak.Log = g.st.stderr, g.st.stderr
			}
			if check != "" {
				h, err := chaos.ReadHistory(check)
				if err != nil {
					return err
				}
				verdict, bad := chaos.CheckKVHistory(h, cfg.LinearizabilityTimeout)
				fmt.Fprintf(g.st.stdout, "kv linearizable: %s\n", verdict)
				if bad != nil {
					fmt.Fprintf(g.st.stdout, "the shortest non-linearizable prefix ends with: %+v\n", *bad)
				}
				if verdict == "Illegal" {
					return errors.New("the KV history is not linearizable")
				}
				return nil
			}
			if soak.Duration > 0 {
				rep, err := chaos.Soak(cmd.Context(), soak)
				if err != nil {
					return err
				}
				fmt.Fprint(g.st.stdout, rep)
				if !rep.OK() {
					return errors.New("the soak was not flat")
				}
				return nil
			}
			rep, err := chaos.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprint(g.st.stdout, rep)
			if !rep.OK() {
				return errors.New("the checker found violations")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64Var(&cfg.Seed, "seed", 0, "seed of the fault schedule (0: from the clock; printed)")
	f.DurationVar(&cfg.Duration, "duration", chaos.DefaultDuration, "how long clients run under faults")
	f.IntVar(&cfg.Publishers, "publishers", chaos.DefaultPublishers, "concurrent stream publishers")
	f.StringVar(&kinds, "kinds", "", "comma-separated fault kinds to draw from (default all: "+kindList()+")")
	f.StringVar(&cfg.OutDir, "out", "", "directory for history.jsonl and timeline.html (default: a new temporary directory)")
	f.BoolVar(&cfg.KeepHistory, "keep-history", false, "write the history and timeline even when the run passes")
	f.IntVar(&cfg.KVClients, "kv-clients", chaos.DefaultKVClients, "concurrent KV clients (get, put, create, compare-and-set update); -1 for none")
	f.DurationVar(&soak.Duration, "soak", 0, "run the soak for this long instead of the campaign (the issue's soak: 30m)")
	f.DurationVar(&soak.ReconnectEvery, "reconnect-every", 3*time.Second, "soak: how often every connection is forced to reconnect")
	f.DurationVar(&soak.SampleEvery, "sample-every", time.Minute, "soak: how often heap and goroutines are sampled")
	f.StringVar(&check, "check", "", "check the KV operations of a saved history.jsonl for linearizability, run nothing")
	f.DurationVar(&cfg.LinearizabilityTimeout, "linearizability-timeout", chaos.DefaultLinearizabilityTimeout, "bound on the KV linearizability check (past it the verdict is Unknown)")
	f.BoolVar(&quiet, "quiet", false, "print only the report, not each fault as it happens")
	return cmd
}

func validKind(k string) bool {
	for _, a := range chaos.AllKinds {
		if string(a) == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(chaos.AllKinds))
	for i, k := range chaos.AllKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}
