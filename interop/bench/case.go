package main

import (
	"context"
	"strings"
	"time"
)

// caseKind is what a case measures, which decides its metrics.
type caseKind int

const (
	kindPub      caseKind = iota // publish, no subscriber
	kindPubSub                   // publish → 1 subscriber in this process
	kindReqSeq                   // request/reply, one at a time
	kindReqPar                   // request/reply, many in flight
	kindIdleSubs                 // memory of idle subscriptions
)

// role says whose code a variant runs.
type role int

const (
	roleStarling role = iota
	roleNats
	roleRaw
)

// variant is one contestant of a case: Starling (with a handler kind),
// nats.go, or the raw socket that sets the ceiling.
type variant struct {
	name  string // in tables: "Starling borrowed", "nats.go", "raw socket"
	short string // in file names and progress lines: "starling-borrowed"
	role  role
	open  func(e *env, subject string) (runner, error)
}

// caseSpec is one line of the benchmark: a kind, a size and its variants,
// which run in this order in every round.
type caseSpec struct {
	id       string // stable, for -only and profile files: "pubsub-16B-hdr"
	group    string // the report's table: "publish, no subscriber"
	title    string // "publish 16 B"
	kind     caseKind
	size     int
	header   bool
	inflight int // requests in flight (request/reply cases)
	variants []variant
}

// runner does a variant's work on connections it opened once for the case.
type runner interface {
	// run performs n operations and returns once all of them are done and
	// accounted for (flushed and counted), or reported lost.
	run(ctx context.Context, n int64) (outcome, error)
	close()
}

// preparer is a runner with work to do before each measured run, outside
// the measurement: sizing buffers, reading the server's counters.
type preparer interface{ prepare(n int64) }

// settler is a runner that completes an outcome after the measurement
// (checking the server's counters).
type settler interface{ settle(n int64, out *outcome) }

// outcome is what a run reports about itself.
type outcome struct {
	done int64  // operations completed and counted
	lost int64  // messages or requests that never arrived
	note string // why they were lost (slow consumer, disconnect, error)
	// lat holds each request's latency (sequential request/reply only).
	lat []time.Duration
	// perSub is the bytes of heap and stack one idle subscription costs.
	perSub float64
}

// sample is one measured run of one variant.
type sample struct {
	n       int64
	out     outcome
	wall    time.Duration
	cpu     time.Duration
	mallocs uint64
	// p50 and p99 are the latency percentiles of a sequential request run.
	p50, p99 time.Duration
	err      error
}

// ok reports whether the run completed without losing anything; only those
// count towards medians.
func (s *sample) ok() bool { return s.err == nil && s.out.lost == 0 && s.out.done > 0 }

// caseResult holds every measured run of a case: samples[v][round].
type caseResult struct {
	spec    *caseSpec
	n       int64 // operations per measured run
	samples [][]sample
	wall    time.Duration // the whole case, warm-up included
}

// subject is the variant's own subject in case c: every variant of a case
// has its connections open at once, and must not receive another's
// messages or answer another's requests.
func (v *variant) subject(c *caseSpec) string {
	return "bench." + c.id + "." + strings.ReplaceAll(v.short, ".", "-")
}
