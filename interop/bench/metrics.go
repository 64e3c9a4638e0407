package main

import (
	"fmt"
	"math"
	"strconv"

	"github.com/starling-nats/starling/internal/benchkit"
)

// metric is one figure of a case, read from each sample.
type metric struct {
	id          string // "rate", "cpu", "cpu-per-m", "allocs", "p50", "p99", "mem"
	label       string
	lowerBetter bool
	// raw says the raw socket has this figure too (its ceiling or floor).
	raw    bool
	get    func(*sample) float64
	format func(float64) string
}

func perOp(s *sample, x float64) float64 { return x / float64(max(s.out.done, 1)) }

var (
	mRate = metric{id: "rate", label: "rate", raw: true, format: fmtRate,
		get: func(s *sample) float64 { return benchkit.Rate(s.out.done, s.wall) }}
	mCPU = metric{id: "cpu", label: "client CPU per message", lowerBetter: true, raw: true, format: fmtNanos,
		get: func(s *sample) float64 { return perOp(s, float64(s.cpu.Nanoseconds())) }}
	mCPUPerM = metric{id: "cpu-per-m", label: "client CPU s per 1 M published", lowerBetter: true, raw: true, format: fmtSeconds,
		get: func(s *sample) float64 { return perOp(s, s.cpu.Seconds()*1e6) }}
	mAllocs = metric{id: "allocs", label: "allocations per message", lowerBetter: true, format: fmtAllocs,
		get: func(s *sample) float64 { return perOp(s, float64(s.mallocs)) }}
	mP50 = metric{id: "p50", label: "latency p50", lowerBetter: true, format: fmtNanos,
		get: func(s *sample) float64 { return float64(s.p50.Nanoseconds()) }}
	mP99 = metric{id: "p99", label: "latency p99", lowerBetter: true, format: fmtNanos,
		get: func(s *sample) float64 { return float64(s.p99.Nanoseconds()) }}
	mReqRate = metric{id: "rate", label: "requests per second", format: fmtRate,
		get: func(s *sample) float64 { return benchkit.Rate(s.out.done, s.wall) }}
	mReqCPU = metric{id: "cpu", label: "client CPU per round trip", lowerBetter: true, format: fmtNanos,
		get: func(s *sample) float64 { return perOp(s, float64(s.cpu.Nanoseconds())) }}
	mReqAllocs = metric{id: "allocs", label: "allocations per round trip", lowerBetter: true, format: fmtAllocs,
		get: func(s *sample) float64 { return perOp(s, float64(s.mallocs)) }}
	mMem = metric{id: "mem", label: "heap + stack per subscription", lowerBetter: true, format: fmtBytes,
		get: func(s *sample) float64 { return s.out.perSub }}
)

// metricsOf lists a case kind's figures, in the report's order.
func metricsOf(k caseKind) []metric {
	switch k {
	case kindPub:
		return []metric{mRate, mCPU, mCPUPerM, mAllocs}
	case kindPubSub:
		return []metric{mRate, mCPU, mAllocs}
	case kindReqSeq:
		return []metric{mP50, mP99, mReqRate, mReqCPU, mReqAllocs}
	case kindReqPar:
		return []metric{mReqRate, mReqCPU, mReqAllocs}
	case kindIdleSubs:
		return []metric{mMem}
	}
	return nil
}

// fmtRate prints operations per second: "2.95 M/s", "5.21 k/s".
func fmtRate(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case x >= 1e6:
		return fmt.Sprintf("%.2f M/s", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1f k/s", x/1e3)
	}
	return fmt.Sprintf("%.0f /s", x)
}

// fmtNanos prints a duration given in nanoseconds: "155 ns", "190 µs".
func fmtNanos(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case x >= 1e9:
		return fmt.Sprintf("%.2f s", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.2f ms", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.0f µs", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.1f µs", x/1e3)
	case x >= 10:
		return fmt.Sprintf("%.0f ns", x)
	}
	return fmt.Sprintf("%.1f ns", x)
}

// fmtSeconds prints seconds: "0.155 s".
func fmtSeconds(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	if x >= 10 {
		return fmt.Sprintf("%.1f s", x)
	}
	return fmt.Sprintf("%.3f s", x)
}

// allocZero is the per-message count below which a run allocated nothing
// per message: what remains is the run's fixed cost (a flush, a timer)
// spread over its messages.
const allocZero = 0.01

// fmtAllocs prints allocations per operation: "0", "1.00", "9.02".
func fmtAllocs(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case x < allocZero:
		return "0"
	}
	return fmt.Sprintf("%.2f", x)
}

// fmtBytes prints a byte count: "312 B", "2.5 KiB".
func fmtBytes(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case x >= 1<<20:
		return fmt.Sprintf("%.1f MiB", x/(1<<20))
	case x >= 1<<10:
		return fmt.Sprintf("%.2f KiB", x/(1<<10))
	}
	return strconv.FormatFloat(x, 'f', 0, 64) + " B"
}

// fmtRatio prints a ratio: "0.31×".
func fmtRatio(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "—"
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}
