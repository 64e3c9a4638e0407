package chaos

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
)

func kvOp(p, f, key, val string, expect, rev uint64, out Outcome, start, end int64) Op {
	return Op{Process: p, F: f, Key: key, Value: val, Expect: expect, Seq: rev, Outcome: out, Start: start, End: end}
}

func conflict(op Op) Op { op.Conflict = true; return op }

func TestKVModelAcceptsALinearizableHistory(t *testing.T) {
	h := []Op{
		kvOp("kv-1", "create", "k", "a", 0, 1, OK, 0, 10),
		kvOp("kv-2", "create", "k", "b", 0, 0, Fail, 5, 15), // exists
		kvOp("kv-2", "get", "k", "a", 0, 1, OK, 20, 30),
		kvOp("kv-1", "update", "k", "c", 1, 4, OK, 25, 40),   // concurrent with the read
		kvOp("kv-3", "update", "k", "d", 1, 0, Fail, 45, 50), // stale revision
		kvOp("kv-3", "put", "k", "e", 0, 0, Unknown, 55, 60), // maybe applied
		kvOp("kv-1", "get", "k", "e", 0, 9, OK, 70, 80),      // it was
		kvOp("kv-2", "get", "j", "", 0, 0, OK, 0, 1),         // another key, absent
	}
	assert.Equal(t, porcupine.Ok, checkLinearizable(h, 10*time.Second).result)
}

func TestKVModelRejectsViolations(t *testing.T) {
	cases := map[string][]Op{
		"a stale read after an acknowledged write": {
			kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
			kvOp("kv-1", "put", "k", "b", 0, 2, OK, 20, 30),
			kvOp("kv-2", "get", "k", "a", 0, 1, OK, 40, 50),
		},
		"two creates of one key both acknowledged": {
			kvOp("kv-1", "create", "k", "a", 0, 1, OK, 0, 10),
			kvOp("kv-2", "create", "k", "b", 0, 2, OK, 20, 30),
		},
		"a compare-and-set on a revision that was replaced": {
			kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
			kvOp("kv-1", "put", "k", "b", 0, 2, OK, 20, 30),
			kvOp("kv-2", "update", "k", "c", 1, 3, OK, 40, 50),
		},
		"a refused update whose revision matched": {
			kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
			kvOp("kv-2", "update", "k", "c", 1, 0, Fail, 20, 30),
		},
		"an acknowledged write missing from a later read": {
			kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
			kvOp("kv-2", "get", "k", "", 0, 0, OK, 20, 30),
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, porcupine.Illegal, checkLinearizable(h, 10*time.Second).result)
		})
	}
}

func TestScheduleIsReplayedBySeed(t *testing.T) {
	a := Schedule(42, 10*time.Minute, DefaultPacing, 3, AllKinds)
	b := Schedule(42, 10*time.Minute, DefaultPacing, 3, AllKinds)
	c := Schedule(43, 10*time.Minute, DefaultPacing, 3, AllKinds)
	assert.Equal(t, a, b, "the same seed, the same faults")
	assert.NotEqual(t, a, c)
	kinds := map[Kind]bool{}
	for i, f := range a {
		kinds[f.Kind] = true
		assert.GreaterOrEqual(t, f.At, DefaultPacing.Warmup)
		assert.LessOrEqual(t, f.At+f.Hold, 10*time.Minute-DefaultPacing.Cooldown)
		assert.Less(t, f.Node, 3)
		if i > 0 {
			assert.GreaterOrEqual(t, f.At-(a[i-1].At+a[i-1].Hold), DefaultPacing.MinGap, "one fault at a time")
		}
	}
	assert.Len(t, kinds, len(AllKinds), "ten minutes draw every kind")
	assert.Empty(t, Schedule(1, time.Second, DefaultPacing, 3, AllKinds), "no room for a fault")
}

func TestCheckKVHistoryNamesTheFirstIllegalOperation(t *testing.T) {
	h := []Op{
		{Process: "nemesis", F: "kill", Node: "n1", Outcome: OK, Start: 0, End: 100},
		kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
		kvOp("kv-1", "put", "k", "b", 0, 2, OK, 20, 30),
		kvOp("kv-2", "get", "k", "b", 0, 2, OK, 40, 50),
		kvOp("kv-2", "get", "k", "a", 0, 1, OK, 60, 70), // stale
		kvOp("kv-2", "get", "k", "b", 0, 2, OK, 80, 90),
		{Process: "pub-1", F: "publish", Key: "k", Value: "x", Outcome: OK, Start: 0, End: 1},
	}
	verdict, bad := CheckKVHistory(h, 10*time.Second)
	assert.Equal(t, "Illegal", verdict)
	if assert.NotNil(t, bad) {
		assert.Equal(t, h[4], *bad)
	}
	verdict, bad = CheckKVHistory(h[:4], 10*time.Second)
	assert.Equal(t, "Ok", verdict)
	assert.Nil(t, bad)
}

// A refusal with err_code 10164 (another write to the key in flight at the leader) says
// nothing about the revision: the model lets it refuse even an update whose revision was
// current, while the same refusal without the flag stays illegal (the case above).
func TestKVModelAcceptsAnInFlightConflictRefusal(t *testing.T) {
	h := []Op{
		kvOp("kv-1", "put", "k", "a", 0, 1, OK, 0, 10),
		conflict(kvOp("kv-2", "update", "k", "c", 1, 0, Fail, 20, 30)),
		kvOp("kv-1", "get", "k", "a", 0, 1, OK, 40, 50),
	}
	assert.Equal(t, porcupine.Ok, checkLinearizable(h, 10*time.Second).result)
}
