package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// profile is the top of one pprof profile of a missed case's Starling side.
type profile struct {
	title string
	file  string
	top   string
}

// profileMissed profiles the Starling variant of every missed row once,
// after all measurements (profiling slows the run it watches): a CPU
// profile of one run, and an allocation profile of another with every
// allocation recorded.
func profileMissed(ctx context.Context, e *env, rep *report) ([]profile, error) {
	if err := os.MkdirAll(e.cfg.profileDir, 0o755); err != nil {
		return nil, err
	}
	var out []profile
	seen := map[string]bool{}
	for _, x := range rep.missed() {
		key := x.res.spec.id + "-" + x.v.short
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(e.out, "profiling %s (%s)\n", x.res.spec.title, x.v.name)
		ps, err := profileVariant(ctx, e, x.res, x.v, filepath.Join(e.cfg.profileDir, key))
		if err != nil {
			return out, fmt.Errorf("profile %s: %w", key, err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

func profileVariant(ctx context.Context, e *env, res *caseResult, v *variant, base string) ([]profile, error) {
	r, err := v.open(e, v.subject(res.spec))
	if err != nil {
		return nil, err
	}
	defer r.close()
	n := res.n
	// Runs back to back, without measure's collections and server
	// counting, so the profile shows the client at work and little else.
	// Losses are noted: a run slowed by profiling may overrun a consumer.
	var lost int64
	run := func() error {
		rctx, cancel := context.WithTimeout(ctx, e.cfg.runTimeout)
		defer cancel()
		if p, ok := r.(preparer); ok {
			p.prepare(n)
		}
		out, err := r.run(rctx, n)
		lost += out.lost
		return err
	}
	if err := run(); err != nil { // warm-up
		return nil, err
	}

	cpuFile := base + ".cpu.pprof"
	f, err := os.Create(cpuFile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	// A run lasts about a second: repeat it until the profile holds a few
	// hundred samples.
	for t0 := time.Now(); err == nil && time.Since(t0) < e.cfg.profileTime; {
		err = run()
	}
	pprof.StopCPUProfile()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}

	// Every allocation of the run is recorded; the profile before it is
	// the base that pprof subtracts, and only stacks through Starling's
	// packages are shown (not the profiler's own, nor the monitoring
	// requests that count messages at the server).
	baseFile, allocFile := base+".alloc-base.pprof", base+".alloc.pprof"
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	lost = 0
	err = writeAllocs(baseFile)
	if err == nil {
		err = run()
	}
	if err == nil {
		err = writeAllocs(allocFile)
	}
	runtime.MemProfileRate = old
	if err != nil {
		return nil, err
	}

	title := res.spec.title + ", " + v.name
	allocTitle := title + ": allocations in one run of " + groupThousands(n) + " operations"
	if lost > 0 {
		// Every allocation is recorded, which slows the client enough for
		// the server to cut a subscriber off as a slow consumer.
		allocTitle += " (" + groupThousands(lost) + " of them lost while profiling)"
	}
	index := "-sample_index=alloc_objects"
	if res.spec.kind == kindIdleSubs {
		index = "-sample_index=alloc_space"
	}
	return []profile{
		{title: title + ": CPU (" + filepath.Base(cpuFile) + ")", file: cpuFile, top: pprofTop(cpuFile)},
		{title: allocTitle + " (" + filepath.Base(allocFile) + ")", file: allocFile, top: pprofTop(index, "-focus=github.com/starling-nats/starling/", "-base="+baseFile, allocFile)},
	}, nil
}

func writeAllocs(path string) error {
	runtime.GC() // the allocation profile is as of the last collection
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop runs go tool pprof -top on a profile and keeps its table,
// without the lines that name this machine's files.
func pprofTop(args ...string) string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "go tool pprof: no go command on PATH: " + err.Error()
	}
	cmd := exec.Command(goBin, append([]string{"tool", "pprof", "-top", "-nodecount=15"}, args...)...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "go tool pprof failed: " + err.Error() + "\n" + string(b)
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
