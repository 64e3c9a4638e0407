package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// The campaign's KV bucket: few keys, so clients contend on each.
const (
	BucketName = "CHAOS"
	kvStream   = "KV_" + BucketName
	kvKeys     = 3
)

func kvKey(i int) string { return fmt.Sprintf("k%d", i) }

// kvOpTimeout bounds one KV operation.
const kvOpTimeout = 10 * time.Second

func (r *rig) createBucket(ctx context.Context) error {
	s, err := kv.New(r.ctlJS)
	if err != nil {
		return err
	}
	for {
		_, err = s.Create(ctx, kv.Config{Bucket: BucketName, Replicas: nodes, History: 64})
		if err == nil || errors.Is(err, kv.ErrBucketExists) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("chaos: create bucket: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kvClient does gets, puts, creates and updates (compare-and-set on the revision it
// last saw) on the bucket's few keys until stop. Gets read the stream leader
// (js.GetLastMsg), the read a linearizable register needs; kv.Bucket.Get may be
// answered by any replica and is not checked here. Values are unique: "<w>-<k>".
func (r *rig) kvClient(w int, seed int64, pause time.Duration, stop <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nc, err := core.Connect(ctx, r.clientURLs(), clientOptions(fmt.Sprintf("chaos-kv-%d", w))...)
	cancel()
	if err != nil {
		return fmt.Errorf("chaos: kv client %d: %w", w, err)
	}
	defer nc.Close()
	j, err := js.New(nc, js.WithTimeout(ackWait), js.WithPublishRetry(noLeaderRetries, noLeaderWait))
	if err != nil {
		return err
	}
	defer j.Close()
	s, err := kv.New(j)
	if err != nil {
		return err
	}
	var b *kv.Bucket
	for b == nil {
		ctx, cancel := context.WithTimeout(context.Background(), kvOpTimeout)
		b, err = s.Bucket(ctx, BucketName)
		cancel()
		if err != nil {
			select {
			case <-stop:
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
	lastRev := map[string]uint64{}
	process := fmt.Sprintf("kv-%d", w)
	for k := 0; ; k++ {
		select {
		case <-stop:
			return nil
		case <-time.After(pause):
		}
		key := kvKey(rng.IntN(kvKeys))
		op := Op{Process: process, Key: key, Start: r.rec.now()}
		ctx, cancel := context.WithTimeout(context.Background(), kvOpTimeout)
		var rev uint64
		switch n := rng.IntN(10); {
		case n < 4:
			op.F = "get"
			var m *js.StoredMsg
			m, err = j.GetLastMsg(ctx, kvStream, "$KV."+BucketName+"."+key)
			switch {
			case err == nil:
				op.Value, rev = string(m.Data), m.Sequence
			case errors.Is(err, js.ErrMsgNotFound):
				err = nil // found nothing: an ok read of an absent key
			}
		case n < 6:
			op.F, op.Value = "put", fmt.Sprintf("%d-%d", w, k)
			rev, err = b.Put(ctx, key, []byte(op.Value))
		case n < 8:
			op.F, op.Value = "create", fmt.Sprintf("%d-%d", w, k)
			rev, err = b.Create(ctx, key, []byte(op.Value))
		default:
			op.F, op.Value, op.Expect = "update", fmt.Sprintf("%d-%d", w, k), lastRev[key]
			if op.Expect == 0 {
				op.Expect = 1 // a revision no key has, once written: a certain refusal
			}
			rev, err = b.Update(ctx, key, []byte(op.Value), op.Expect)
		}
		cancel()
		op.End = r.rec.now()
		op.Seq = rev
		switch {
		case err == nil:
			op.Outcome = OK
			if rev != 0 {
				lastRev[key] = rev
			}
		case errors.Is(err, kv.ErrKeyExists), errors.Is(err, kv.ErrWrongRevision):
			op.Outcome, op.Err = Fail, err.Error()
			// kv.ErrWriteInFlight (err_code 10164) says nothing about the revision, and
			// the write in flight may never be stored (its leader may lose its
			// quorum). See docs/reliability.md.
			op.Conflict = errors.Is(err, kv.ErrWriteInFlight)
		default:
			op.Outcome, op.Err = classify(err)
		}
		r.rec.add(op)
	}
}

// KVResult is what the KV checker found.
type KVResult struct {
	Ops, Acked, Failed, Unknown int
	// Conflicts counts the refusals because another write to the key was in flight
	// (10164); the model lets them refuse whatever the revision.
	Conflicts int
	// Verdict is porcupine's: Ok (linearizable), Illegal, or Unknown (the check timed
	// out, which is no evidence either way).
	Verdict string
	// MissingWrites counts acknowledged writes newer than the key's final revision.
	MissingWrites int
	// Final maps each key to its final value and revision.
	Final map[string]string
	// FirstIllegal is the operation that ends the shortest non-linearizable prefix
	// of a key's history.
	FirstIllegal string
	// VisualizationFile is porcupine's HTML of a non-linearizable history.
	VisualizationFile string
}

func (k *KVResult) String() string {
	s := fmt.Sprintf("kv: %d operations: %d ok, %d refused (%d for a write in flight, 10164), %d unknown; linearizable: %s; confirmed writes missing from the final state: %d\n",
		k.Ops, k.Acked, k.Failed, k.Conflicts, k.Unknown, k.Verdict, k.MissingWrites)
	if k.FirstIllegal != "" {
		s += "kv: the shortest non-linearizable prefix ends with " + k.FirstIllegal + "\n"
	}
	return s
}

func isKVWrite(f string) bool { return f == "put" || f == "create" || f == "update" }

// checkKV reads each key's final state from the leader, checks that no acknowledged
// write is newer than it, and checks the history of each key (final reads included)
// for linearizability as a compare-and-set register.
func (r *rig) checkKV(ctx context.Context, h []Op, timeout time.Duration) (*KVResult, []string, *lin, error) {
	res := &KVResult{Final: map[string]string{}}
	var problems []string
	end := int64(0)
	for _, op := range h {
		end = max(end, op.End)
	}
	final := map[string]Op{}
	for i := range kvKeys {
		key := kvKey(i)
		op := Op{Process: "checker", F: "get", Key: key, Start: end + 1, End: end + 2, Outcome: OK}
		m, err := r.ctlJS.GetLastMsg(ctx, kvStream, "$KV."+BucketName+"."+key)
		switch {
		case err == nil:
			op.Value, op.Seq = string(m.Data), m.Sequence
			res.Final[key] = fmt.Sprintf("%s@%d", op.Value, op.Seq)
		case errors.Is(err, js.ErrMsgNotFound):
			res.Final[key] = "absent"
		default:
			return nil, nil, nil, fmt.Errorf("chaos: final read of %s: %w", key, err)
		}
		final[key] = op
		r.rec.add(op) // in the history, so CheckKVHistory sees what Run saw
	}
	var ops []Op
	for _, op := range h {
		if !strings.HasPrefix(op.Process, "kv-") {
			continue
		}
		res.Ops++
		switch op.Outcome {
		case OK:
			res.Acked++
		case Fail:
			res.Failed++
			if op.Conflict {
				res.Conflicts++
			}
		case Unknown:
			res.Unknown++
		}
		if op.Outcome == OK && isKVWrite(op.F) && op.Seq > final[op.Key].Seq {
			res.MissingWrites++
			problems = append(problems, fmt.Sprintf("kv: confirmed write newer than the final state %s: %s", res.Final[op.Key], opString(op)))
		}
		ops = append(ops, op)
	}
	for i := range kvKeys {
		ops = append(ops, final[kvKey(i)])
	}
	l := checkLinearizable(ops, timeout)
	res.Verdict = string(l.result)
	if l.result == "Illegal" {
		if bad, ok := firstIllegal(ops, timeout); ok {
			res.FirstIllegal = opString(bad)
		}
		problems = append(problems, "kv: the history is not linearizable as a compare-and-set register per key (see the visualization)")
	}
	return res, problems, l, nil
}
