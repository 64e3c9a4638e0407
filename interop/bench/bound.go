package main

import (
	"fmt"
	"runtime"
)

// boundOf says, from the run's own figures, what holds a missed figure
// back: the client (its CPU or allocations), the server, or the socket.
func boundOf(r *row) string {
	spec := r.res.spec
	idx := func(want role) int {
		for i, v := range spec.variants {
			if v.role == want && (want != roleStarling || v.short == r.v.short) {
				return i
			}
		}
		return -1
	}
	si, ni, ri := idx(roleStarling), idx(roleNats), idx(roleRaw)
	cpus := runtime.NumCPU()
	cs, cn := cores(r.res.samples[si]), cores(r.res.samples[ni])
	switch r.m.id {
	case "rate":
		if r.target.kind == vsRaw && ri >= 0 {
			nOfRaw := pairRatio(r.res.samples[ni], r.res.samples[ri], r.m)
			cr := cores(r.res.samples[ri])
			use := fmt.Sprintf("CPU kept busy in this process: Starling %.2f, nats.go %.2f, raw %.2f of %d cores", cs, cn, cr, cpus)
			others := fmt.Sprintf("nats.go reaches %.2f of it", nOfRaw)
			if cs > float64(cpus)-1 {
				return fmt.Sprintf("client CPU: the server needs a core of its own and Starling's process took %.2f of %d (%s); %s", cs, cpus, use, others)
			}
			return fmt.Sprintf("the client side, though not its CPU: the raw socket moves %s through the same server, so the server "+
				"can go that fast; Starling reaches %.2f of it (%s; %s), far from a saturated core. What differs from the raw socket is how "+
				"the bytes meet the socket (write and read sizes, so the number of reads the server makes) and the wake-ups between the "+
				"client's publisher, flusher, reader and handler; the client's CPU also competes with the server's on %d cores",
				r.m.format(r.raw), r.ofRaw, others, use, cpus)
		}
		sc, nc := medianOf(r.res.samples[si], mReqCPU), medianOf(r.res.samples[ni], mReqCPU)
		return fmt.Sprintf("neither client saturates the CPU (Starling kept %.2f, nats.go %.2f of %d cores busy) and Starling spends %s of CPU "+
			"per round trip against nats.go's %s: the rate is set by the round trips through the server, its loopback writes and the "+
			"wake-ups of the waiting requesters, which both clients pay",
			cs, cn, cpus, fmtNanos(sc), fmtNanos(nc))
	case "p50", "p99":
		sc, nc := medianOf(r.res.samples[si], mReqCPU), medianOf(r.res.samples[ni], mReqCPU)
		return fmt.Sprintf("client CPU per round trip is %s for Starling and %s for nats.go; the rest of the %s is the server, the loopback "+
			"socket and goroutine wake-ups, which both clients pay", fmtNanos(sc), fmtNanos(nc), fmtNanos(r.s))
	case "cpu", "cpu-per-m":
		floor := ""
		if !isNaN(r.raw) {
			floor = fmt.Sprintf(", the raw socket's %s", r.m.format(r.raw))
		}
		return fmt.Sprintf("client: this is Starling's own CPU (%.2f × nats.go%s); the CPU profile below shows where it goes", r.ratio, floor)
	case "allocs":
		return "client: these are Starling's own allocations; the allocation profile below shows where they are made"
	case "mem":
		return "client: this is Starling's own memory; the allocation profile below shows what holds it"
	}
	return ""
}

func isNaN(x float64) bool { return x != x }
