package main

import (
	"regexp"
	"time"
)

// config is what one invocation measures and where it writes. The modes
// (full, quick) differ only in these numbers; tests shrink them further.
type config struct {
	mode string // "full" or "quick", named in the report
	// pairs is how many measured runs each variant gets: rounds of
	// Starling, nats.go (and raw) runs, alternating.
	pairs int
	// runTime is how long one measured run should last: its message or
	// request count is the warm-up's best rate times runTime.
	runTime time.Duration
	// minOps and maxOps clamp the calibrated count of a run.
	minOps, maxOps int64
	// fixedOps, when set, replaces calibration (tests), per case kind.
	fixedOps map[caseKind]int64
	// idleSubs is the number of subscriptions of the memory case, and
	// idlePairs its pairs (it is slow, and varies less than the rates).
	idleSubs  int
	idlePairs int
	// inflight is the number of concurrent requests of the parallel case.
	inflight int
	// stall ends a wait for messages that made no progress this long; the
	// missing messages are reported lost.
	stall time.Duration
	// runTimeout bounds one run, whatever happens.
	runTimeout time.Duration

	// only selects cases by id (nil: all).
	only *regexp.Regexp
	// docPath and svgPath are written unless write is false.
	docPath, svgPath string
	write            bool
	// profileDir receives CPU and allocation profiles of the Starling side
	// of cases that missed a target; "" profiles nothing.
	profileDir string
	// profileTime is how long a CPU profile runs (repeating runs).
	profileTime time.Duration
	// command is how the run was invoked, for the report.
	command string
}

// fullConfig is the default: at least 5 pairs, runs of about a second.
func fullConfig() config {
	return config{
		mode:       "full",
		pairs:      5,
		runTime:    time.Second,
		minOps:     2_000,
		maxOps:     50_000_000,
		idleSubs:   100_000,
		idlePairs:  5,
		inflight:   64,
		stall:      3 * time.Second,
		runTimeout: 2 * time.Minute,
		write:      true,
		// A few hundred samples at pprof's 100 Hz.
		profileTime: 5 * time.Second,
	}
}

// quickConfig runs everything in well under a minute on two cores: fewer
// pairs and short runs, so its ratios are rougher, and the report says so.
func quickConfig() config {
	c := fullConfig()
	c.mode = "quick"
	c.pairs = 3
	c.runTime = 150 * time.Millisecond
	c.minOps = 500
	c.stall = time.Second
	c.idlePairs = 1
	return c
}
