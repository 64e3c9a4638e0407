package main

import (
	"fmt"
	"math"
)

// Targets are those of perf.md's "Targets" table, each checked against the
// figure it names; rows perf.md sets no target for are reported without a
// verdict.

// targetKind says what a target compares.
type targetKind int

const (
	vsNats   targetKind = iota // Starling ÷ nats.go (median of the pairs' ratios)
	vsRaw                      // Starling ÷ raw socket
	absolute                   // Starling's own figure
)

type target struct {
	kind   targetKind
	atMost bool // ≤ limit (else ≥)
	limit  float64
}

func (t *target) String() string {
	op := "≥"
	if t.atMost {
		op = "≤"
	}
	switch t.kind {
	case vsNats:
		return fmt.Sprintf("%s %.2g × nats.go", op, t.limit)
	case vsRaw:
		return fmt.Sprintf("%s %.2g × raw", op, t.limit)
	}
	if t.limit == 0 {
		return "0"
	}
	return fmt.Sprintf("%s %g", op, t.limit)
}

// met reports whether r meets t, and false for ok when r lacks the figure.
func (t *target) met(r *row) (met, ok bool) {
	var v float64
	limit := t.limit
	switch t.kind {
	case vsNats:
		v = r.ratio
	case vsRaw:
		v = r.ofRaw
	case absolute:
		v = r.s
		if r.m.id == "allocs" {
			// A run's fixed costs (a flush, a timer) spread over its
			// messages are not allocations per message.
			limit += allocZero
		}
	}
	if math.IsNaN(v) {
		return false, false
	}
	if t.atMost {
		return v <= limit, true
	}
	return v >= limit, true
}

// targetFor returns perf.md's target for the figure m of Starling variant
// v in case c, or nil.
func targetFor(c *caseSpec, v *variant, m metric) *target {
	owned := v.short == "starling-owned"
	switch c.kind {
	case kindPub:
		if c.size != 16 {
			return nil
		}
		switch m.id {
		case "rate":
			return &target{kind: vsRaw, limit: 0.98}
		case "cpu", "cpu-per-m":
			return &target{kind: vsNats, atMost: true, limit: 0.33}
		case "allocs":
			return &target{kind: absolute, atMost: true, limit: 0}
		}
	case kindPubSub:
		if c.size != 16 {
			return nil
		}
		switch m.id {
		case "rate":
			return &target{kind: vsRaw, limit: 0.98}
		case "cpu":
			return &target{kind: vsNats, atMost: true, limit: 0.5}
		case "allocs":
			switch {
			case !owned:
				return &target{kind: absolute, atMost: true, limit: 0}
			case !c.header:
				return &target{kind: absolute, atMost: true, limit: 1}
			}
		}
	case kindReqSeq:
		switch m.id {
		case "p50":
			return &target{kind: vsNats, atMost: true, limit: 0.85}
		case "allocs":
			return &target{kind: absolute, atMost: true, limit: 3}
		}
	case kindReqPar:
		switch m.id {
		case "rate":
			return &target{kind: vsNats, limit: 1.5}
		case "allocs":
			return &target{kind: absolute, atMost: true, limit: 3}
		}
	case kindIdleSubs:
		if m.id == "mem" {
			return &target{kind: vsNats, atMost: true, limit: 0.2}
		}
	}
	return nil
}
