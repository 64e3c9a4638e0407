package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records durations in log-linear buckets, as HdrHistogram does:
// values below histSub are exact (one nanosecond per bucket); above, every
// power of two is split into histSub buckets, so a reported value is within
// 1/histSub (0.8 %) of the true one whatever its magnitude, from nanoseconds
// to hours, in a fixed 58 KiB. Recording is an index computation and an
// increment: cheap enough for every request of a benchmark. Not safe for
// concurrent use; give each goroutine its own and merge.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64
	min    uint64
	max    uint64
}

const (
	// histSubBits is log2 of the buckets per power of two.
	histSubBits = 7
	histSub     = 1 << histSubBits
	// histBuckets covers every uint64: the top power of two ends at index
	// (64-histSubBits)*histSub + histSub - 1.
	histBuckets = (64 - histSubBits + 1) * histSub
)

// histIndex returns the bucket of v.
func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	// v lies in [2^(e+histSubBits), 2^(e+histSubBits+1)); its top
	// histSubBits+1 bits, v>>e, lie in [histSub, 2*histSub).
	e := bits.Len64(v) - histSubBits - 1
	return (e+1)*histSub + int(v>>e) - histSub
}

// histBounds returns the smallest and largest value of bucket i.
func histBounds(i int) (lo, hi uint64) {
	if i < histSub {
		return uint64(i), uint64(i)
	}
	e := i/histSub - 1
	m := uint64(i%histSub + histSub)
	lo = m << e
	return lo, lo + (uint64(1) << e) - 1
}

func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[histIndex(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// merge adds o's values to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

func (h *histogram) count() uint64 { return h.n }

// percentile returns the value at or below which a fraction q (0..1] of the
// recorded values lie: the largest value of the bucket holding that rank,
// capped by the largest value recorded (HdrHistogram's "highest equivalent
// value"), so p100 is the exact maximum. 0 when nothing was recorded.
func (h *histogram) percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := histBounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

func (h *histogram) minimum() time.Duration { return time.Duration(h.min) }
func (h *histogram) maximum() time.Duration { return time.Duration(h.max) }
