package benchkit

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Bounds of a Latency: 1 ns to 1 minute, at three significant digits (a
// recorded value is off by at most 0.1 %). Longer latencies are recorded
// as one minute and counted in Clamped.
const (
	latencyLowest  = 1
	latencyHighest = int64(time.Minute)
	latencyDigits  = 3
)

// Latency collects durations and answers percentiles. Record does not
// allocate. A Latency is not safe for concurrent use: give each goroutine
// its own and Merge them.
type Latency struct {
	h       *hdrhistogram.Histogram
	clamped int64
}

// NewLatency returns an empty Latency.
func NewLatency() *Latency {
	return &Latency{h: hdrhistogram.New(latencyLowest, latencyHighest, latencyDigits)}
}

// Record adds one duration; below 1 ns counts as 1 ns, above a minute as a
// minute.
func (l *Latency) Record(d time.Duration) {
	v := int64(d)
	switch {
	case v < latencyLowest:
		v = latencyLowest
	case v > latencyHighest:
		v = latencyHighest
		l.clamped++
	}
	_ = l.h.RecordValue(v) // in range by construction
}

// Merge adds every duration of o.
func (l *Latency) Merge(o *Latency) {
	l.h.Merge(o.h)
	l.clamped += o.clamped
}

// Count is how many durations were recorded.
func (l *Latency) Count() int64 { return l.h.TotalCount() }

// Clamped is how many were longer than a minute (recorded as a minute).
func (l *Latency) Clamped() int64 { return l.clamped }

// Percentile is the duration at or below which p percent (0 to 100) of
// the recorded ones fall; 0 when none was recorded.
func (l *Latency) Percentile(p float64) time.Duration {
	return time.Duration(l.h.ValueAtPercentile(p))
}

// Min, Max and Mean of the recorded durations, 0 when none was.
func (l *Latency) Min() time.Duration  { return time.Duration(l.h.Min()) }
func (l *Latency) Max() time.Duration  { return time.Duration(l.h.Max()) }
func (l *Latency) Mean() time.Duration { return time.Duration(l.h.Mean()) }

// Reset forgets every recorded duration.
func (l *Latency) Reset() {
	l.h.Reset()
	l.clamped = 0
}

// Percentiles are the ones reports show, with their names.
var Percentiles = []struct {
	Name string
	P    float64
}{{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}}
