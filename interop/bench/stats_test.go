package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTargets(t *testing.T) {
	pub := &caseSpec{kind: kindPub, size: 16}
	starling := &variant{short: "starling"}
	r := &row{m: mCPU, ratio: 0.30}
	tg := targetFor(pub, starling, mCPU)
	met, ok := tg.met(r)
	assert.True(t, ok)
	assert.True(t, met)
	r.ratio = 0.34
	met, _ = tg.met(r)
	assert.False(t, met)
	r.ratio = math.NaN()
	_, ok = tg.met(r)
	assert.False(t, ok, "no figure, no verdict")

	// Allocation targets forgive a run's fixed costs, nothing more.
	owned := &variant{short: "starling-owned"}
	tg = targetFor(&caseSpec{kind: kindPubSub, size: 16}, owned, mAllocs)
	met, _ = tg.met(&row{m: mAllocs, s: 1.004})
	assert.True(t, met)
	met, _ = tg.met(&row{m: mAllocs, s: 1.05})
	assert.False(t, met)

	assert.Nil(t, targetFor(&caseSpec{kind: kindPub, size: 1024}, starling, mCPU), "perf.md sets publish targets at 16 B only")
	assert.Nil(t, targetFor(&caseSpec{kind: kindPubSub, size: 16, header: true}, owned, mAllocs))
	assert.NotNil(t, targetFor(&caseSpec{kind: kindPubSub, size: 16, header: true}, &variant{short: "starling-borrowed"}, mAllocs))
}
