package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := mainErr(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// mainErr parses the command line into a config and runs it.
func mainErr(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	quick := fs.Bool("quick", false, "a run of under a minute: 3 pairs of short runs (rougher figures; the report says so)")
	pairs := fs.Int("pairs", 0, "pairs of runs per case (default 5, quick 3)")
	runTime := fs.Duration("run", 0, "length of one measured run (default 1s, quick 150ms)")
	only := fs.String("only", "", "run only the cases whose id matches this regular expression (pub-16B, pubsub-1KiB, pubsub-16B-hdr, req-seq, req-64, idle-subs)")
	doc := fs.String("doc", "", "the file whose benchmark section is rewritten (default: docs/perf.md of the repository)")
	svg := fs.String("svg", "", "the chart written beside it (default: docs/perf.svg of the repository)")
	write := fs.Bool("write", true, "write the section and the chart (false: print only)")
	prof := fs.String("profile", "", `directory for CPU and allocation profiles of the Starling side of cases that miss a target (default: a new temporary directory in the full run; "none" to skip; quick runs profile only when set)`)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: cd interop && go run ./bench [flags]\n\n%s\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := fullConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *pairs > 0 {
		cfg.pairs = *pairs
		cfg.idlePairs = *pairs
	}
	if *runTime > 0 {
		cfg.runTime = *runTime
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-only: %w", err)
		}
		cfg.only = re
	}
	cfg.write = *write
	cfg.docPath, cfg.svgPath = *doc, *svg
	if cfg.write && (cfg.docPath == "" || cfg.svgPath == "") {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		if cfg.docPath == "" {
			cfg.docPath = filepath.Join(root, "docs", "perf.md")
		}
		if cfg.svgPath == "" {
			cfg.svgPath = filepath.Join(root, "docs", "perf.svg")
		}
	}
	switch {
	case *prof == "none":
	case *prof != "":
		cfg.profileDir = *prof
	case !*quick:
		dir, err := os.MkdirTemp("", "starling-bench-profiles-")
		if err != nil {
			return err
		}
		cfg.profileDir = dir
	}
	cfg.command = strings.TrimSpace("cd interop && go run ./bench " + strings.Join(args, " "))
	_, err := run(ctx, &cfg, out)
	return err
}

const usage = `Runs Starling (github.com/starling-nats/starling/core) and nats.go side by side
against one nats-server process and writes the "client: Starling beside nats.go"
section of docs/perf.md (between its interop-bench markers) and docs/perf.svg.

Cases: publish 16 B, 128 B, 1 KiB, 64 KiB; publish → 1 subscriber at the same
sizes (Starling borrowed and owned handlers, nats.go callback) and at 16 B with
one header; request/reply sequential and 64 in flight; 100 000 idle
subscriptions. Each round runs Starling, nats.go and the raw socket ceiling
in turn; figures are medians, ratios medians of the per-round ratios, checked
against the targets of perf.md.
`

// repoRoot finds the repository: the nearest directory at or above the
// working directory whose go.mod declares the Starling module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/starling-nats/starling\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the Starling repository; give -doc and -svg, or -write=false")
		}
		dir = parent
	}
}

// run measures every selected case against one server process, prints the
// figures, and writes the section and the chart when cfg.write.
func run(ctx context.Context, cfg *config, out io.Writer) (*report, error) {
	start := time.Now()
	srv, err := startServer()
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	info := srv.Info()
	e := newEnv(cfg, srv, out)
	rep := &report{cfg: cfg, machine: newMachine(info.Version)}
	fmt.Fprintf(out, "nats-server %s (pid %d) at %s; %s, %d cores, %s; load average %s\n\n",
		info.Version, srv.PID(), e.url, rep.machine.cpu, rep.machine.cores, rep.machine.goVersion, rep.machine.loadStart)

	for _, c := range allCases(cfg) {
		if cfg.only != nil && !cfg.only.MatchString(c.id) {
			continue
		}
		res, err := runCase(ctx, e, c)
		if err != nil {
			return nil, err
		}
		rows := caseRows(res)
		rep.results = append(rep.results, res)
		rep.rows = append(rep.rows, rows)
		printCase(out, res, rows)
	}
	if len(rep.results) == 0 {
		return nil, errors.New("no case matches -only")
	}
	rep.machine.loadEnd = loadAverage()

	if cfg.profileDir != "" && len(rep.missed()) > 0 {
		ps, err := profileMissed(ctx, e, rep)
		if err != nil {
			return nil, err
		}
		rep.profiles = ps
		for _, p := range ps {
			fmt.Fprintf(out, "\n%s\n%s\n", p.title, p.top)
		}
		fmt.Fprintf(out, "\nprofiles in %s\n", cfg.profileDir)
	}

	rep.wall = time.Since(start)
	if cfg.write {
		if err := writeSection(cfg.docPath, rep.markdown(filepath.Base(cfg.svgPath))); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(cfg.svgPath, []byte(rep.svg())); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "wrote %s and %s\n", cfg.docPath, cfg.svgPath)
	}
	fmt.Fprintf(out, "wall time %s\n", fmtWall(time.Since(start)))
	return rep, nil
}
