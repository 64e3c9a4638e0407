package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/starling-nats/starling/internal/benchkit"
)

// measure runs n operations of r with the process's CPU time, allocation
// count and wall clock read around it. Garbage from earlier runs is
// collected first, so no run pays for another's.
func measure(ctx context.Context, r runner, n int64) sample {
	if p, ok := r.(preparer); ok {
		p.prepare(n)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU()
	t0 := time.Now()
	out, err := r.run(ctx, n)
	wall := time.Since(t0)
	cpu1 := processCPU()
	runtime.ReadMemStats(&m1)
	if s, ok := r.(settler); ok && err == nil {
		s.settle(n, &out)
	}
	s := sample{n: n, out: out, wall: wall, cpu: cpu1 - cpu0, mallocs: m1.Mallocs - m0.Mallocs, err: err}
	if lat := out.lat; len(lat) > 0 {
		// The same histogram as "starling bench": one kit, one way
		// to read a percentile.
		h := benchkit.NewLatency()
		for _, d := range lat {
			h.Record(d)
		}
		s.p50, s.p99 = h.Percentile(50), h.Percentile(99)
		s.out.lat = nil // the runner reuses it
	}
	return s
}

// runCase opens every variant of c, warms each up once (which also
// calibrates the run length), then runs cfg.pairs rounds: each round runs
// every variant once, in order, so Starling and nats.go alternate and drift
// of the machine hits both alike.
func runCase(ctx context.Context, e *env, c *caseSpec) (*caseResult, error) {
	start := time.Now()
	runners := make([]runner, 0, len(c.variants))
	defer func() {
		for _, r := range runners {
			r.close()
		}
	}()
	for _, v := range c.variants {
		r, err := v.open(e, v.subject(c))
		if err != nil {
			return nil, fmt.Errorf("%s: open %s: %w", c.id, v.name, err)
		}
		runners = append(runners, r)
	}

	n, err := warmUp(ctx, e, c, runners)
	if err != nil {
		return nil, err
	}
	res := &caseResult{spec: c, n: n, samples: make([][]sample, len(runners))}
	pairs := e.cfg.pairs
	if c.kind == kindIdleSubs {
		pairs = min(pairs, e.cfg.idlePairs)
	}
	for round := range pairs {
		for i, r := range runners {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rctx, cancel := context.WithTimeout(ctx, e.cfg.runTimeout)
			s := measure(rctx, r, n)
			cancel()
			res.samples[i] = append(res.samples[i], s)
			e.progress(c, c.variants[i], round, pairs, &s)
		}
	}
	res.wall = time.Since(start)
	return res, nil
}

// warmUp runs every variant once, unmeasured, and returns the count of a
// measured run: the best warm-up rate times cfg.runTime, so that even the
// fastest variant runs about that long and the others longer.
func warmUp(ctx context.Context, e *env, c *caseSpec, runners []runner) (int64, error) {
	fixed, isFixed := e.cfg.fixedOps[c.kind]
	probe := probeOps(c, e.cfg)
	if isFixed {
		probe = max(fixed/4, 1)
	}
	best := 0.0
	for i, r := range runners {
		rctx, cancel := context.WithTimeout(ctx, e.cfg.runTimeout)
		s := measure(rctx, r, probe)
		cancel()
		if s.err != nil {
			return 0, fmt.Errorf("%s: warm-up of %s: %w", c.id, c.variants[i].name, s.err)
		}
		if rate := float64(s.out.done) / s.wall.Seconds(); rate > best {
			best = rate
		}
	}
	switch {
	case isFixed:
		return fixed, nil
	case c.kind == kindIdleSubs:
		return int64(e.cfg.idleSubs), nil
	case best == 0:
		return 0, errors.New(c.id + ": warm-up completed nothing")
	}
	n := int64(best * e.cfg.runTime.Seconds())
	return min(max(n, e.cfg.minOps), e.cfg.maxOps), nil
}

// probeOps is the size of the warm-up run: about 16 MB of messages, or a
// few thousand requests, or a tenth of the idle subscriptions.
func probeOps(c *caseSpec, cfg *config) int64 {
	switch c.kind {
	case kindReqSeq:
		return 2_000
	case kindReqPar:
		return 20_000
	case kindIdleSubs:
		return int64(max(cfg.idleSubs/10, 1))
	}
	n := int64(16<<20) / int64(c.size+40)
	return min(max(n, 1_000), 400_000)
}
