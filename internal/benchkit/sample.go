package benchkit

import (
	"math"
	"slices"
	"time"
)

// Sample is what one client did in one run: Msgs operations carrying
// Bytes of payload between Start (its first operation) and End (the last
// one accounted for).
type Sample struct {
	Msgs  int64
	Bytes int64
	Start time.Time
	End   time.Time
}

// Duration is End - Start.
func (s Sample) Duration() time.Duration { return s.End.Sub(s.Start) }

// Rate is operations per second, 0 for an empty span.
func (s Sample) Rate() float64 { return Rate(s.Msgs, s.Duration()) }

// MBps is payload megabytes (10^6 bytes) per second.
func (s Sample) MBps() float64 {
	d := s.Duration()
	if d <= 0 {
		return 0
	}
	return float64(s.Bytes) / 1e6 / d.Seconds()
}

// Rate is n operations over d, per second; 0 when d is not positive.
func Rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Group is the samples of clients that ran at once (the publishers of a
// run, or its subscribers).
type Group []Sample

// Total sums the group over the span it covers together: from the first
// client's start to the last one's end. This is the aggregate rate the nats
// CLI reports.
func (g Group) Total() Sample {
	var t Sample
	for i, s := range g {
		t.Msgs += s.Msgs
		t.Bytes += s.Bytes
		if i == 0 || s.Start.Before(t.Start) {
			t.Start = s.Start
		}
		if i == 0 || s.End.After(t.End) {
			t.End = s.End
		}
	}
	return t
}

// RateStats are the least, mean, greatest and standard deviation of the
// clients' own rates, which show whether they were served alike.
func (g Group) RateStats() (lo, mean, hi, stddev float64) {
	if len(g) == 0 {
		return 0, 0, 0, 0
	}
	lo = math.Inf(1)
	for _, s := range g {
		r := s.Rate()
		lo, hi = min(lo, r), max(hi, r)
		mean += r
	}
	mean /= float64(len(g))
	for _, s := range g {
		d := s.Rate() - mean
		stddev += d * d
	}
	return lo, mean, hi, math.Sqrt(stddev / float64(len(g)))
}

// Median of xs, NaN when empty; xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Split divides n operations among clients as evenly as possible, the
// first ones taking the remainder, as the nats CLI does.
func Split(n int64, clients int) []int64 {
	if clients < 1 {
		return nil
	}
	parts := make([]int64, clients)
	for i := range parts {
		parts[i] = n / int64(clients)
		if int64(i) < n%int64(clients) {
			parts[i]++
		}
	}
	return parts
}
