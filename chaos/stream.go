package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// publishTimeout bounds one publish, its republishes included: long enough to ride
// out any single fault of DefaultPacing, so an unknown outcome means the client gave
// up, not that a fault was merely long.
const publishTimeout = 20 * time.Second

// ackWait is how long one attempt waits for its PubAck before js republishes it under
// the same MsgID.
const ackWait = 2 * time.Second

// A stream has no leader for a few seconds after its leader is killed or cut off, and
// its subject has no responders meanwhile: the clients retry that for up to 15 s (the
// default, 2 retries 250 ms apart, suits an interactive caller, not a writer that
// must not give up on a failover).
const (
	noLeaderRetries = 60
	noLeaderWait    = 250 * time.Millisecond
)

// publisher publishes "p<w>-<k>" with MsgID "p<w>-<k>" for k = 0, 1, ... until stop,
// recording each publish.
func (r *rig) publisher(w int, pause time.Duration, stop <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nc, err := core.Connect(ctx, r.clientURLs(), clientOptions(fmt.Sprintf("chaos-pub-%d", w))...)
	cancel()
	if err != nil {
		return fmt.Errorf("chaos: publisher %d: %w", w, err)
	}
	defer nc.Close()
	j, err := js.New(nc, js.WithTimeout(ackWait), js.WithPublishRetry(noLeaderRetries, noLeaderWait))
	if err != nil {
		return err
	}
	defer j.Close()
	process := fmt.Sprintf("pub-%d", w)
	subject := fmt.Sprintf("chaos.p%d", w)
	for k := 0; ; k++ {
		select {
		case <-stop:
			return nil
		default:
		}
		id := fmt.Sprintf("p%d-%d", w, k)
		op := Op{Process: process, F: "publish", Key: subject, Value: id, Start: r.rec.now()}
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		ack, err := j.Publish(ctx, subject, []byte(id), js.MsgID(id))
		cancel()
		op.End = r.rec.now()
		op.Outcome, op.Err = classify(err)
		if ack != nil {
			op.Seq, op.Dup = ack.Sequence, ack.Duplicate
		}
		r.rec.add(op)
		if op.Outcome != OK {
			time.Sleep(50 * time.Millisecond) // no busy loop while a node is away
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// classify sorts a result into the three outcomes. Only the server's own refusal is a
// certain failure; a timeout, a lost connection or no responders after a republish may
// each hide a stored message.
func classify(err error) (Outcome, string) {
	if err == nil {
		return OK, ""
	}
	var apiErr *js.APIError
	if errors.As(err, &apiErr) {
		return Fail, err.Error()
	}
	return Unknown, err.Error()
}

// StreamResult is what the checker found in the stream.
type StreamResult struct {
	Publishes     int // operations
	Acked         int // outcome ok
	Failed        int // outcome fail
	Unknown       int // outcome unknown
	UnknownStored int // of the unknown, stored after all
	Stored        int // messages read back
	Lost          int // acked, never read
	Duplicated    int // MsgIDs stored more than once
	Misplaced     int // acked with a sequence that holds another message
	RefusedStored int // refused, yet stored
	Strangers     int // stored, never published
	DirectLagged  int // missed by direct gets, found at the leader
	// UnknownCauses counts the unknown outcomes by error, most frequent first.
	UnknownCauses []string
	// Consumed, DoubleAcked and Redelivered are the reading consumer's: messages
	// delivered, double acks the server confirmed, and deliveries of a message after
	// its double ack was confirmed (which must be none).
	Consumed, DoubleAcked, Redelivered int
	// NeverDelivered counts acknowledged publishes the consumer never delivered.
	NeverDelivered int
}

// readStream reads every message of the stream: by direct get in batches, then, for
// anything acked but not seen, from the leader (GetMsg) at its acked sequence.
func (r *rig) readStream(ctx context.Context) (map[string][]uint64, map[uint64]string, error) {
	bySeq := map[uint64]string{}
	byID := map[string][]uint64{}
	si, err := r.ctlJS.StreamInfo(ctx, StreamName)
	if err != nil {
		return nil, nil, fmt.Errorf("chaos: stream info: %w", err)
	}
	last := si.State.LastSeq
	for seq := si.State.FirstSeq; seq <= last && seq > 0; {
		got := 0
		for m, err := range r.ctlJS.DirectGetBatch(ctx, StreamName, js.DirectBatch{Seq: seq, Batch: 500}) {
			if err != nil {
				break
			}
			got++
			if _, seen := bySeq[m.Sequence]; !seen {
				id := m.Header.Get(js.HeaderMsgID)
				bySeq[m.Sequence] = id
				byID[id] = append(byID[id], m.Sequence)
			}
			seq = m.Sequence + 1
		}
		if got == 0 {
			// A page that yields nothing: read one message from the leader and move on.
			m, err := r.ctlJS.GetMsg(ctx, StreamName, seq)
			switch {
			case err == nil:
				id := m.Header.Get(js.HeaderMsgID)
				bySeq[m.Sequence] = id
				byID[id] = append(byID[id], m.Sequence)
			case errors.Is(err, js.ErrMsgNotFound):
			default:
				if ctx.Err() != nil {
					return nil, nil, fmt.Errorf("chaos: reading the stream at %d: %w", seq, err)
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			seq++
		}
	}
	return byID, bySeq, nil
}

// checkStream compares the history's publishes with what the stream holds and marks
// the offending operations.
func (r *rig) checkStream(ctx context.Context, h []Op) (StreamResult, []string, error) {
	var res StreamResult
	byID, bySeq, err := r.readStream(ctx)
	if err != nil {
		return res, nil, err
	}
	res.Stored = len(bySeq)
	var problems []string
	published := map[string]bool{}
	causes := map[string]int{}
	for i := range h {
		op := &h[i]
		if op.F != "publish" {
			continue
		}
		res.Publishes++
		published[op.Value] = true
		seqs := byID[op.Value]
		switch op.Outcome {
		case OK:
			res.Acked++
			if len(seqs) == 0 {
				if m, err := r.ctlJS.GetMsg(ctx, StreamName, op.Seq); err == nil && m.Header.Get(js.HeaderMsgID) == op.Value {
					res.DirectLagged++
					byID[op.Value] = []uint64{op.Seq}
					continue
				}
				res.Lost++
				op.Missing = true
				problems = append(problems, fmt.Sprintf("lost: acked, never read: %s", opString(*op)))
				continue
			}
			if got := bySeq[op.Seq]; got != op.Value {
				res.Misplaced++
				op.Missing = true
				problems = append(problems, fmt.Sprintf("misplaced: acked at seq %d, which holds %q: %s", op.Seq, got, opString(*op)))
			}
		case Fail:
			res.Failed++
			if len(seqs) > 0 {
				res.RefusedStored++
				op.Missing = true
				problems = append(problems, fmt.Sprintf("refused but stored at %v: %s", seqs, opString(*op)))
			}
		case Unknown:
			res.Unknown++
			causes[errCause(op.Err)]++
			if len(seqs) > 0 {
				res.UnknownStored++
			}
		}
	}
	res.UnknownCauses = countList(causes)
	for id, seqs := range byID {
		if len(seqs) > 1 {
			res.Duplicated++
			problems = append(problems, fmt.Sprintf("duplicated: MsgID %q stored at %v", id, seqs))
		}
		if !published[id] {
			res.Strangers++
			problems = append(problems, fmt.Sprintf("stranger: MsgID %q stored at %v, never published", id, seqs))
		}
	}
	return res, problems, nil
}

func opString(op Op) string {
	s := fmt.Sprintf("{%s %s %s=%s %s seq=%d [%.3fs, %.3fs]", op.Process, op.F, op.Key, op.Value, op.Outcome, op.Seq,
		float64(op.Start)/1e9, float64(op.End)/1e9)
	if op.Expect != 0 {
		s += fmt.Sprintf(" expect=%d", op.Expect)
	}
	if op.Err != "" {
		s += " err=" + op.Err
	}
	return s + "}"
}

// errCause shortens an error to its kind: the text before its first variable part.
func errCause(s string) string {
	for _, cut := range []string{": chaos.", " after ", ": p"} {
		if i := strings.Index(s, cut); i > 0 {
			s = s[:i]
		}
	}
	return s
}

// countList renders counts as "cause ×n", most frequent first.
func countList(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return out
}
