package main

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nuid"
	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// Defaults of bench, sized so that the whole default run takes about ten
// seconds on two cores against the embedded server.
const (
	defaultBenchMsgs     = 1_000_000
	defaultBenchReqs     = 50_000
	defaultBenchSize     = 16
	defaultBenchInflight = 64
	// benchStall ends a publish→subscribe run whose subscriber received
	// nothing for this long: the rest was lost.
	benchStall = 3 * time.Second
	// benchWarmup requests run before request/reply is measured, so that
	// the inbox subscription exists and the code paths are warm.
	benchWarmup = 200
)

// The sections of a bench run, in the order they run.
const (
	sectionPub    = "pub"
	sectionPubSub = "pubsub"
	sectionReq    = "req"
)

var allSections = []string{sectionPub, sectionPubSub, sectionReq}

const benchAbout = `Measures Starling against a nats-server, one section after the other:

  pub     publish only: --pub connections (default 1) publish --msgs
          messages between them, each then flushes: its clock stops when
          the server has all of its messages.
  pubsub  publish → subscribe: --pub publishers and --sub subscribers, each
          on its own connection; every subscriber gets every message, and
          its clock runs from the first publish to its last arrival.
          Subscribers take messages with a borrowed handler (zero-copy), or
          an owned one with --owned.
  req     request/reply: --repliers echo each request from connections of
          their own (0: a replier you run elsewhere on SUBJECT). First
          sequential requests (latency percentiles), then --inflight
          concurrent requesters on one connection.

With several clients, msgs/s is their messages summed over the span they
ran together, as the nats CLI reports it, and each client's own rate is
listed. MB/s counts 10^6 bytes of payload (published, received, or both
ways of each request). Latency percentiles come from an HDR histogram
(three significant digits). Without a server answering at --server,
$NATS_URL or nats://127.0.0.1:4222, an embedded nats-server runs in this
process, so client and server share the CPUs; point it at a server of its
own (starling server, nats-server) to keep them apart. --duration bounds
each section by time instead of (or as well as) --msgs and --reqs.

Examples:
  starling bench
  starling bench x --only pub --msgs 1000000 --size 16   # as: nats bench pub x --msgs 1000000 --size 16
  starling bench --only pubsub --pub 2 --sub 4 --size 128
  starling bench svc.echo --only req --repliers 0   # with: starling reply --echo --quiet svc.echo
  starling bench -s nats://127.0.0.1:4222 --duration 10s --json`

// benchConfig is what a bench run was asked to do.
type benchConfig struct {
	msgs     int64 // pub and pubsub messages (math.MaxInt64: --duration only)
	reqs     int64 // requests of each req phase
	size     int
	subject  string
	duration time.Duration // per section; 0: none
	inflight int
	pubs     int // publishers (pub, pubsub)
	subs     int // subscribers (pubsub)
	repliers int // req: 0 means one already answers in another process
	owned    bool
	wbuf     int // publishers' write buffer; 0: the library's default
	sections []string
	json     bool
	progress *progress
}

// pubOptions are the publishers' connection options.
func (c *benchConfig) pubOptions() []core.Option {
	if c.wbuf > 0 {
		return []core.Option{core.WithWriteBufferSize(c.wbuf)}
	}
	return nil
}

func (c *benchConfig) runs(section string) bool { return slices.Contains(c.sections, section) }

func newBenchCommand(g *globals) *cobra.Command {
	cfg := &benchConfig{}
	var only string
	var showProgress bool
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench [SUBJECT]",
		Short: "benchmark publish, publish→subscribe and request/reply",
		Long:  benchAbout,
		Args:  rangeArgs(0, 1, "at most one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if cmd.Flags().Changed("subject") {
					return usageErrorf(cmd, "give SUBJECT or --subject, not both")
				}
				cfg.subject = args[0]
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return benchCommand(cmd, g, cfg, only, showProgress)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&cfg.msgs, "msgs", defaultBenchMsgs, "N messages for pub and pubsub")
	fl.Int64Var(&cfg.reqs, "reqs", defaultBenchReqs, "N requests for each req phase")
	fl.IntVar(&cfg.size, "size", defaultBenchSize, "payload size in bytes")
	fl.StringVar(&cfg.subject, "subject", "", "the SUBJECT argument as a flag (default: bench.<6 random characters>)")
	fl.DurationVar(&cfg.duration, "duration", 0, "end each section after this long (without --msgs or --reqs: run it for that long)")
	fl.IntVar(&cfg.inflight, "inflight", defaultBenchInflight, "N concurrent requesters in the second req phase (0 or 1: skip it)")
	fl.IntVar(&cfg.pubs, "pub", 1, "N publishers, each on its own connection, sharing --msgs")
	fl.IntVar(&cfg.subs, "sub", 1, "N subscribers in pubsub, each on its own connection, each receiving every message")
	fl.IntVar(&cfg.repliers, "repliers", 1, "N echoing repliers in a queue group (0: use one already answering on SUBJECT,\ne.g. starling reply --echo --quiet SUBJECT in another terminal)")
	fl.IntVar(&cfg.wbuf, "write-buffer", 0, "publishers' write buffer in bytes (0: the library's default, 64 KiB)")
	fl.BoolVar(&cfg.owned, "owned", false, "subscriber and replier take owned *Msg instead of borrowed messages")
	fl.StringVar(&only, "only", strings.Join(allSections, ","), "run only these sections, comma-separated")
	fl.BoolVar(&cfg.json, "json", false, "print the results as JSON on stdout")
	fl.BoolVar(&showProgress, "progress", false, "show progress on stderr even when it is not a terminal")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to FILE")
	return cmd
}

// benchCommand is "starling bench".
func benchCommand(cmd *cobra.Command, g *globals, cfg *benchConfig, only string, showProgress bool) error {
	ctx, st := cmd.Context(), g.st
	switch {
	case cfg.msgs < 1 || cfg.reqs < 1:
		return usageErrorf(cmd, "--msgs and --reqs must be at least 1")
	case cfg.size < 0:
		return usageErrorf(cmd, "--size must not be negative")
	case cfg.duration < 0:
		return usageErrorf(cmd, "--duration must not be negative")
	case cfg.inflight < 0:
		return usageErrorf(cmd, "--inflight must not be negative")
	case cfg.pubs < 1 || cfg.subs < 1:
		return usageErrorf(cmd, "--pub and --sub must be at least 1")
	case cfg.repliers < 0:
		return usageErrorf(cmd, "--repliers must not be negative")
	case cfg.subject != "" && !codec.ValidPublishSubject(cfg.subject):
		return usageErrorf(cmd, "invalid subject %q", cfg.subject)
	case cfg.repliers == 0 && cfg.subject == "":
		return usageErrorf(cmd, "--repliers 0 needs the SUBJECT your replier answers on")
	}
	if cfg.duration > 0 {
		// --duration alone bounds by time only; with --msgs or --reqs,
		// whichever comes first.
		if !cmd.Flags().Changed("msgs") {
			cfg.msgs = math.MaxInt64
		}
		if !cmd.Flags().Changed("reqs") {
			cfg.reqs = math.MaxInt64
		}
	}
	for s := range strings.SplitSeq(only, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(allSections, s) {
			return usageErrorf(cmd, "unknown section %q in --only (want %s)", s, strings.Join(allSections, ", "))
		}
		if !slices.Contains(cfg.sections, s) {
			cfg.sections = append(cfg.sections, s)
		}
	}
	if cfg.subject == "" {
		// Short, as the subject "nats bench" users type: the server
		// parses every byte of it per message, so a long one (the
		// 37-byte subject this once was) halves the publish rate.
		id := nuid.Next()
		cfg.subject = "bench." + id[len(id)-6:]
	}
	cfg.progress = newProgress(st.stderr, st.stderrIsTerminal, showProgress || st.stderrIsTerminal)

	l, err := g.open(cmd)
	if err != nil {
		return err
	}
	rep, err := runBench(ctx, l, cfg)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	if rep != nil {
		if cfg.json {
			if werr := rep.writeJSON(st.stdout); err == nil {
				err = werr
			}
		} else {
			rep.writeTable(st.stdout)
		}
	}
	if err == nil && ctx.Err() != nil {
		err = errors.New("interrupted")
	}
	return err
}

// runBench runs the sections asked for and returns what they measured, also
// when one fails or ctx ends (then with what was done so far).
func runBench(ctx context.Context, l *link, cfg *benchConfig) (*benchReport, error) {
	rep := &benchReport{cfg: cfg, url: redact(l.url), embedded: l.embedded != nil}
	probe, err := l.connect(ctx, "starling bench")
	if err != nil {
		return nil, err
	}
	rep.serverVersion = probe.ServerVersion()
	if max := probe.MaxPayload(); int64(cfg.size) > max {
		l.release(probe)
		return nil, usageErrorf(nil, "--size %d is above the server's max_payload %d", cfg.size, max)
	}
	if err := l.release(probe); err != nil {
		return nil, err
	}
	steps := map[string]func(context.Context, *link, *benchConfig) ([]benchResult, error){
		sectionPub:    benchPublish,
		sectionPubSub: benchPubSub,
		sectionReq:    benchRequests,
	}
	for _, s := range allSections {
		if !cfg.runs(s) || ctx.Err() != nil {
			continue
		}
		res, err := steps[s](ctx, l, cfg)
		rep.results = append(rep.results, res...)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}
