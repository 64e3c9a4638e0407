package chaos

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// The KV model: each key is a register of (value, revision) with compare-and-set on
// the revision, checked by porcupine (github.com/anishathalye/porcupine; see
// docs/decisions.md). Unknown outcomes make it nondeterministic: an unknown write
// may have happened at any time after its invocation, or never, so it is given no
// return time and two next states.

type kvState struct {
	exists bool
	val    string
	rev    uint64 // 0 while an unknown write's revision is unknown
}

type kvIn struct {
	f, val   string
	expect   uint64
	conflict bool // refused for a write in flight: no information on the revision
}

type kvOut struct {
	outcome Outcome
	val     string
	rev     uint64
}

func kvStep(state, input, output any) []any {
	s, in, out := state.(kvState), input.(kvIn), output.(kvOut)
	written := kvState{exists: true, val: in.val, rev: out.rev}
	maybe := kvState{exists: true, val: in.val}
	switch in.f {
	case "get":
		if out.outcome != OK {
			return []any{s}
		}
		if out.rev == 0 { // absent
			if !s.exists {
				return []any{s}
			}
			return nil
		}
		if s.exists && s.val == out.val && (s.rev == 0 || s.rev == out.rev) {
			return []any{kvState{exists: true, val: out.val, rev: out.rev}}
		}
		return nil
	case "put":
		switch out.outcome {
		case OK:
			if s.exists && s.rev != 0 && out.rev <= s.rev {
				return nil // revisions only grow
			}
			return []any{written}
		case Fail:
			return []any{s}
		default:
			return []any{s, maybe}
		}
	case "create":
		switch out.outcome {
		case OK:
			if s.exists {
				return nil
			}
			return []any{written}
		case Fail:
			return []any{s} // exists, or refused: nothing changed
		default:
			if s.exists {
				return []any{s}
			}
			return []any{s, maybe}
		}
	case "update":
		match := s.exists && (s.rev == 0 || s.rev == in.expect)
		switch out.outcome {
		case OK:
			if !match || out.rev <= in.expect {
				return nil
			}
			return []any{written}
		case Fail:
			if !in.conflict && s.exists && s.rev != 0 && s.rev == in.expect {
				return nil // the revision matched, yet the update was refused
			}
			return []any{s}
		default:
			if match {
				return []any{s, maybe}
			}
			return []any{s}
		}
	}
	return nil
}

var kvModel = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Metadata.(string)
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() []any { return []any{kvState{}} },
	Step: kvStep,
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvIn), output.(kvOut)
		switch in.f {
		case "get":
			if out.outcome != OK {
				return "get -> " + string(out.outcome)
			}
			if out.rev == 0 {
				return "get -> absent"
			}
			return fmt.Sprintf("get -> %s@%d", out.val, out.rev)
		case "update":
			return fmt.Sprintf("update(%s, expect %d) -> %s@%d", in.val, in.expect, out.outcome, out.rev)
		}
		return fmt.Sprintf("%s(%s) -> %s@%d", in.f, in.val, out.outcome, out.rev)
	},
	DescribeState: func(state any) string {
		s := state.(kvState)
		if !s.exists {
			return "absent"
		}
		if s.rev == 0 {
			return s.val + "@?"
		}
		return fmt.Sprintf("%s@%d", s.val, s.rev)
	},
	DescribeOperationMetadata: func(info any) string { return info.(string) },
}

// lin is a linearizability check's result, kept to draw it.
type lin struct {
	result porcupine.CheckResult
	info   porcupine.LinearizationInfo
}

// checkLinearizable checks the KV operations of a history (reads that failed carry
// no information and are left out).
func checkLinearizable(h []Op, timeout time.Duration) *lin {
	clients := map[string]int{}
	var ops []porcupine.Operation
	for _, op := range h {
		if op.F == "get" && op.Outcome != OK {
			continue
		}
		id, ok := clients[op.Process]
		if !ok {
			id = len(clients)
			clients[op.Process] = id
		}
		ret := op.End
		if op.Outcome == Unknown {
			ret = math.MaxInt64 / 2 // may take effect any time after its call
		}
		ops = append(ops, porcupine.Operation{
			ClientId: id, Call: op.Start, Return: ret, Metadata: op.Key,
			Input:  kvIn{f: op.F, val: op.Value, expect: op.Expect, conflict: op.Conflict},
			Output: kvOut{outcome: op.Outcome, val: op.Value, rev: op.Seq},
		})
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel.ToModel(), ops, timeout)
	return &lin{result: res, info: info}
}

// visualize writes porcupine's HTML rendering of the check.
func (l *lin) visualize(path string) error {
	return porcupine.VisualizePath(kvModel.ToModel(), l.info, path)
}

// firstIllegal finds, for the key whose history is not linearizable, the operation
// that ends its shortest non-linearizable prefix (by invocation), by bisection.
func firstIllegal(h []Op, timeout time.Duration) (Op, bool) {
	byKey := map[string][]Op{}
	for _, op := range h {
		byKey[op.Key] = append(byKey[op.Key], op)
	}
	for _, ops := range byKey {
		sort.SliceStable(ops, func(i, j int) bool { return ops[i].Start < ops[j].Start })
		if checkLinearizable(ops, timeout).result != porcupine.Illegal {
			continue
		}
		lo, hi := 1, len(ops)
		for lo < hi {
			mid := (lo + hi) / 2
			if checkLinearizable(ops[:mid], timeout).result == porcupine.Illegal {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return ops[lo-1], true
	}
	return Op{}, false
}

// CheckKVHistory checks the KV operations of a history written by a campaign (its
// "kv-" processes and the checker's final reads) for linearizability, as Run does,
// and returns porcupine's verdict (Ok, Illegal, Unknown) with, when Illegal, the
// operation that ends the shortest non-linearizable prefix.
func CheckKVHistory(h []Op, timeout time.Duration) (string, *Op) {
	var ops []Op
	for _, op := range h {
		if strings.HasPrefix(op.Process, "kv-") || (op.Process == "checker" && op.F == "get") {
			ops = append(ops, op)
		}
	}
	l := checkLinearizable(ops, timeout)
	if l.result != porcupine.Illegal {
		return string(l.result), nil
	}
	if bad, ok := firstIllegal(ops, timeout); ok {
		return string(l.result), &bad
	}
	return string(l.result), nil
}
