package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every value falls in the bucket whose bounds hold it, buckets are
// contiguous, and no bucket is wider than 1/histSub of its values.
func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	prevHi := uint64(0)
	for i := range histBuckets {
		lo, hi := histBounds(i)
		if i > 0 {
			require.Equal(t, prevHi+1, lo, "bucket %d follows bucket %d", i, i-1)
		}
		require.Equal(t, i, histIndex(lo), "low bound of %d", i)
		require.Equal(t, i, histIndex(hi), "high bound of %d", i)
		require.LessOrEqual(t, float64(hi-lo), float64(lo)/histSub, "width of bucket %d", i)
		prevHi = hi
	}
	assert.Equal(t, uint64(math.MaxUint64), prevHi, "the buckets cover every uint64")
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := r.Uint64() >> r.IntN(64)
		lo, hi := histBounds(histIndex(v))
		require.True(t, lo <= v && v <= hi, "%d in [%d, %d]", v, lo, hi)
	}
}

func TestHistogramPercentiles(t *testing.T) {
	t.Parallel()
	var h histogram
	assert.Zero(t, h.percentile(0.5), "empty")
	r := rand.New(rand.NewPCG(3, 4))
	vals := make([]time.Duration, 100_000)
	for i := range vals {
		// Log-uniform from 1 µs to 100 ms: every magnitude a latency has.
		vals[i] = time.Duration(1000 * math.Pow(10, 5*r.Float64()))
		h.record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.percentile(q)
		assert.GreaterOrEqual(t, got, exact, "p%v never below the true value", q*100)
		assert.InEpsilon(t, float64(exact), float64(got), 1.0/histSub, "p%v within 1/%d", q*100, histSub)
	}
	assert.Equal(t, vals[0], h.minimum())
	assert.Equal(t, vals[len(vals)-1], h.maximum())
	assert.Equal(t, vals[len(vals)-1], h.percentile(1), "p100 is the exact maximum")
	assert.Equal(t, uint64(len(vals)), h.count())
	var sum time.Duration
	for _, v := range vals {
		sum += v
	}
	assert.Equal(t, sum/time.Duration(len(vals)), h.mean())
}

func TestHistogramExactSmallValuesAndMerge(t *testing.T) {
	t.Parallel()
	var a, b histogram
	for v := range 100 {
		a.record(time.Duration(v + 1)) // 1..100 ns: below histSub, exact
	}
	b.record(-5) // clamped to 0
	b.record(time.Hour)
	assert.Equal(t, 50*time.Nanosecond, a.percentile(0.5))
	assert.Equal(t, 99*time.Nanosecond, a.percentile(0.99))
	a.merge(&b)
	a.merge(new(histogram))
	assert.Equal(t, uint64(102), a.count())
	assert.Equal(t, time.Duration(0), a.minimum())
	assert.Equal(t, time.Hour, a.maximum())
	assert.Equal(t, time.Hour, a.percentile(1))
	assert.Equal(t, 50*time.Nanosecond, a.percentile(0.5))
}

func TestHistogramRecordAllocatesNothing(t *testing.T) {
	h := new(histogram)
	allocs := testing.AllocsPerRun(1000, func() { h.record(123 * time.Microsecond) })
	assert.Zero(t, allocs)
}
