package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/starling-nats/starling/internal/benchkit"
)

// verdict is a row's standing against its target.
type verdict int

const (
	noTarget verdict = iota
	targetMet
	targetMissed
	noData // the target exists but a figure is missing (every run failed)
)

func (v verdict) String() string {
	switch v {
	case targetMet:
		return "met"
	case targetMissed:
		return "**missed**"
	case noData:
		return "no data"
	}
	return "—"
}

// row is one figure of one Starling variant beside nats.go and the raw
// socket: a line of the report.
type row struct {
	res *caseResult
	v   *variant // the Starling variant
	m   metric
	// s, n and raw are the medians of the runs that lost nothing.
	s, n, raw float64
	// ratio is the median over rounds of Starling ÷ nats.go; ofRaw the same
	// against the raw socket. Ratios of runs made side by side drift less
	// than the figures themselves.
	ratio, ofRaw float64
	target       *target
	verdict      verdict
	// bound says what limits a missed figure.
	bound string
}

// caseRows turns a case's samples into report rows, one per Starling
// variant and metric.
func caseRows(res *caseResult) []*row {
	spec := res.spec
	ni, ri := -1, -1
	for i, v := range spec.variants {
		switch v.role {
		case roleNats:
			ni = i
		case roleRaw:
			ri = i
		}
	}
	var rows []*row
	for vi := range spec.variants {
		v := &spec.variants[vi]
		if v.role != roleStarling {
			continue
		}
		for _, m := range metricsOf(spec.kind) {
			r := &row{res: res, v: v, m: m, raw: math.NaN(), ofRaw: math.NaN()}
			r.s = medianOf(res.samples[vi], m)
			r.n = medianOf(res.samples[ni], m)
			r.ratio = pairRatio(res.samples[vi], res.samples[ni], m)
			if m.id == "allocs" && r.n < allocZero {
				r.ratio = math.NaN() // nothing against nothing
			}
			if m.raw && ri >= 0 {
				r.raw = medianOf(res.samples[ri], m)
				r.ofRaw = pairRatio(res.samples[vi], res.samples[ri], m)
			}
			if r.target = targetFor(spec, v, m); r.target != nil {
				switch met, ok := r.target.met(r); {
				case !ok:
					r.verdict = noData
				case met:
					r.verdict = targetMet
				default:
					r.verdict = targetMissed
					r.bound = boundOf(r)
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func medianOf(samples []sample, m metric) float64 {
	var xs []float64
	for i := range samples {
		if samples[i].ok() {
			xs = append(xs, m.get(&samples[i]))
		}
	}
	return benchkit.Median(xs)
}

// pairRatio is the median over rounds of a[i] ÷ b[i], for the rounds in
// which both runs lost nothing and b is not zero.
func pairRatio(a, b []sample, m metric) float64 {
	var xs []float64
	for i := range min(len(a), len(b)) {
		if !a[i].ok() || !b[i].ok() {
			continue
		}
		if d := m.get(&b[i]); d > 0 {
			xs = append(xs, m.get(&a[i])/d)
		}
	}
	return benchkit.Median(xs)
}

// cores is how many CPUs the process kept busy, in the median, during a
// variant's runs: client CPU seconds per wall second.
func cores(samples []sample) float64 {
	var xs []float64
	for i := range samples {
		if samples[i].ok() && samples[i].wall > 0 {
			xs = append(xs, samples[i].cpu.Seconds()/samples[i].wall.Seconds())
		}
	}
	return benchkit.Median(xs)
}

// problems lists the runs of a case that failed or lost messages, per
// variant; an empty list means every run completed and counted everything.
func problems(res *caseResult) []string {
	var out []string
	for vi, v := range res.spec.variants {
		bad, first := 0, ""
		for i := range res.samples[vi] {
			s := &res.samples[vi][i]
			if s.ok() {
				continue
			}
			bad++
			if first == "" {
				switch {
				case s.err != nil:
					first = "failed: " + s.err.Error()
				case s.out.lost > 0:
					first = fmt.Sprintf("lost %d of %d messages (%s)", s.out.lost, s.n, s.out.note)
				default:
					first = "completed nothing"
				}
			}
		}
		if bad > 0 {
			out = append(out, fmt.Sprintf("%s: %d of %d runs did not count every message; first: %s",
				v.name, bad, len(res.samples[vi]), strings.TrimSpace(first)))
		}
	}
	return out
}
