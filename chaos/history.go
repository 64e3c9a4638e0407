package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// Outcome is how an operation ended.
type Outcome string

// The outcomes of an operation, in Jepsen's terms.
const (
	OK      Outcome = "ok"      // acknowledged: it happened
	Fail    Outcome = "fail"    // refused: it certainly did not happen
	Unknown Outcome = "unknown" // no answer: it may or may not have happened
)

// Op is one line of a history: an operation of a client or a fault of the nemesis,
// with the times it was invoked and completed, in nanoseconds since the run began.
type Op struct {
	Process string  `json:"process"`           // "pub-1", "kv-2", "nemesis", "checker"
	F       string  `json:"f"`                 // publish, put, create, update, get; or a fault kind
	Key     string  `json:"key,omitempty"`     // the KV key, or the stream subject
	Value   string  `json:"value,omitempty"`   // the MsgID published, the value written or read
	Expect  uint64  `json:"expect,omitempty"`  // update: the revision expected
	Node    string  `json:"node,omitempty"`    // fault: the node acted on
	Outcome Outcome `json:"outcome"`           // ok, fail or unknown
	Seq     uint64  `json:"seq,omitempty"`     // the stream sequence or KV revision returned
	Dup     bool    `json:"dup,omitempty"`     // publish: the ack said Duplicate
	Err     string  `json:"err,omitempty"`     // why it failed or is unknown
	Start   int64   `json:"start"`             // invoked, ns since the run began
	End     int64   `json:"end"`               // completed, ns since the run began
	Detail  string  `json:"detail,omitempty"`  // fault: what was done, in words
	Missing bool    `json:"missing,omitempty"` // set by the checker on an offending op
	// Conflict: a KV update or create refused because another write to the key was
	// in flight at the leader (err_code 10164, "wrong last sequence" without a
	// number), which says nothing about the revision.
	Conflict bool `json:"conflict,omitempty"`
}

// IsFault reports whether op is the nemesis's.
func (o Op) IsFault() bool { return o.Process == "nemesis" }

// recorder collects a run's history; safe for concurrent use.
type recorder struct {
	t0 time.Time
	mu sync.Mutex
	h  []Op
}

func newRecorder() *recorder { return &recorder{t0: time.Now()} }

// now is the time since the run began, as recorded.
func (r *recorder) now() int64 { return int64(time.Since(r.t0)) }

func (r *recorder) add(op Op) {
	r.mu.Lock()
	r.h = append(r.h, op)
	r.mu.Unlock()
}

// history returns the operations ordered by invocation.
func (r *recorder) history() []Op {
	r.mu.Lock()
	h := append([]Op(nil), r.h...)
	r.mu.Unlock()
	sort.SliceStable(h, func(i, j int) bool { return h[i].Start < h[j].Start })
	return h
}

// WriteHistory writes h to path as JSON lines, one Op per line.
func WriteHistory(path string, h []Op) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, op := range h {
		if err := enc.Encode(op); err != nil {
			f.Close()
			return fmt.Errorf("chaos: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("chaos: %w", err)
	}
	return f.Close()
}

// ReadHistory reads a history written by WriteHistory.
func ReadHistory(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer f.Close()
	var h []Op
	dec := json.NewDecoder(bufio.NewReader(f))
	for dec.More() {
		var op Op
		if err := dec.Decode(&op); err != nil {
			return nil, fmt.Errorf("chaos: %s line %d: %w", path, len(h)+1, err)
		}
		h = append(h, op)
	}
	return h, nil
}
