package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The harness of the parallel request case must not add allocations of
// its own to the client's.
func TestInParallelAllocatesNothingPerCall(t *testing.T) {
	do := func() error { return nil }
	few := testing.AllocsPerRun(5, func() { _, _ = inParallel(10, 4, do) })
	many := testing.AllocsPerRun(5, func() { _, _ = inParallel(10_000, 4, do) })
	assert.LessOrEqual(t, many, few+1, "allocations grow with the number of calls")
}

func TestInParallelCountsFailures(t *testing.T) {
	var calls int64
	boom := errors.New("boom")
	out, err := inParallel(100, 1, func() error {
		calls++
		if calls%10 == 0 {
			return boom
		}
		return nil
	})
	assert.NoError(t, err)
	assert.EqualValues(t, 90, out.done)
	assert.EqualValues(t, 10, out.lost)
	assert.Equal(t, "first error: boom", out.note)
}
