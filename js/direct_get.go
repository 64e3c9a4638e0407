package js

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
)

// Headers of direct get replies (ADR-31).
const (
	HeaderStream     = "Nats-Stream"
	HeaderSubject    = "Nats-Subject"
	HeaderSequence   = "Nats-Sequence"
	HeaderTimeStamp  = "Nats-Time-Stamp"
	HeaderNumPending = "Nats-Num-Pending"
	HeaderLastSeq    = "Nats-Last-Sequence"
	HeaderUpToSeq    = "Nats-UpTo-Sequence"
)

// DirectGet reads the message at seq from any replica of a stream with
// AllowDirect (or a mirror with MirrorDirect). Replicas may lag: there is
// no read-after-write guarantee; GetMsg has one.
func (js *JetStream) DirectGet(ctx context.Context, stream string, seq uint64) (*StoredMsg, error) {
	return js.directGet(ctx, stream, "", directRequest{Seq: seq})
}

// DirectGetLast reads the last message on subject. The subject rides in
// the API subject with an empty body, so it takes no JSON encoding and is
// served by the subject-mapped fast path.
func (js *JetStream) DirectGetLast(ctx context.Context, stream, subject string) (*StoredMsg, error) {
	if subject == "" {
		return nil, fmt.Errorf("%w: empty subject", ErrInvalidOption)
	}
	return js.directGet(ctx, stream, subject, directRequest{})
}

// DirectGetNext reads the first message on subject (wildcards allowed) at
// or after seq.
func (js *JetStream) DirectGetNext(ctx context.Context, stream, subject string, seq uint64) (*StoredMsg, error) {
	return js.directGet(ctx, stream, "", directRequest{NextFor: subject, Seq: seq})
}

type directRequest struct {
	Seq       uint64     `json:"seq,omitempty"`
	LastFor   string     `json:"last_by_subj,omitempty"`
	NextFor   string     `json:"next_by_subj,omitempty"`
	Batch     int        `json:"batch,omitempty"`
	MaxBytes  int        `json:"max_bytes,omitempty"`
	StartTime *time.Time `json:"start_time,omitempty"`
	MultiLast []string   `json:"multi_last,omitempty"`
	UpToSeq   uint64     `json:"up_to_seq,omitempty"`
	UpToTime  *time.Time `json:"up_to_time,omitempty"`
}

func (js *JetStream) directGet(ctx context.Context, stream, lastSubject string, req directRequest) (*StoredMsg, error) {
	if err := checkName(stream); err != nil {
		return nil, err
	}
	subj := js.prefix + "DIRECT.GET." + stream
	var body []byte
	if lastSubject != "" {
		subj += "." + lastSubject
	} else {
		body, _ = json.Marshal(req)
	}
	m, err := js.rawRequest(ctx, subj, nil, body)
	if err != nil {
		return nil, err
	}
	return directMsg(m)
}

// directMsg turns a direct get reply into a StoredMsg, or its status into
// an error.
func directMsg(m *core.Msg) (*StoredMsg, error) {
	switch st := m.Status(); st {
	case 0:
	case 404:
		return nil, fmt.Errorf("%w: %s", ErrMsgNotFound, m.Description())
	case 412:
		return nil, fmt.Errorf("%w: %s", ErrAPILevelTooLow, m.Description())
	default:
		return nil, &DirectGetError{Status: st, Description: m.Description()}
	}
	h := m.Header
	sm := &StoredMsg{Stream: h.Get(HeaderStream), Subject: h.Get(HeaderSubject), Data: m.Data}
	if sm.Stream == "" || sm.Subject == "" {
		return nil, fmt.Errorf("%w: direct get reply without %s or %s", ErrInvalidResponse, HeaderStream, HeaderSubject)
	}
	seq, err := strconv.ParseUint(h.Get(HeaderSequence), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q", ErrInvalidResponse, HeaderSequence, h.Get(HeaderSequence))
	}
	sm.Sequence = seq
	if sm.Time, err = parseTimeStamp(h.Get(HeaderTimeStamp)); err != nil {
		return nil, err
	}
	// The stored headers stay; the ones the server added for the reply go.
	out := make(core.Header, len(h))
	for k, v := range h {
		switch k {
		case HeaderStream, HeaderSubject, HeaderSequence, HeaderTimeStamp, HeaderNumPending, HeaderLastSeq:
			continue
		}
		out[k] = v
	}
	if len(out) > 0 {
		sm.Header = out
	}
	return sm, nil
}

// parseTimeStamp reads Nats-Time-Stamp: RFC 3339 in current servers, Go's
// time.String form in older ones (protocol facts §6.2).
func parseTimeStamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i]
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q", ErrInvalidResponse, HeaderTimeStamp, s)
	}
	return t, nil
}

// DirectGetError is a direct get status other than 404 (not found) and
// 412 (API level): 408 for a malformed request, 413 for too many subjects.
type DirectGetError struct {
	Status      int
	Description string
}

func (e *DirectGetError) Error() string {
	return "js: direct get status " + strconv.Itoa(e.Status) + " " + e.Description
}

// DirectBatch asks DirectGetBatch for up to Batch messages from Seq (or
// StartTime) on Subject (empty: all), within MaxBytes when set.
type DirectBatch struct {
	Seq       uint64
	StartTime time.Time
	Subject   string
	Batch     int
	MaxBytes  int
}

// DirectGetBatch yields up to b.Batch messages in stream order, in one
// request answered by a stream of replies that ends with 204 EOB
// (nats-server 2.11). An error ends the sequence.
func (js *JetStream) DirectGetBatch(ctx context.Context, stream string, b DirectBatch) iter.Seq2[*StoredMsg, error] {
	req := directRequest{Seq: b.Seq, NextFor: b.Subject, Batch: b.Batch, MaxBytes: b.MaxBytes}
	if !b.StartTime.IsZero() {
		st := b.StartTime
		req.StartTime = &st
	}
	if req.Seq == 0 && req.StartTime == nil {
		req.Seq = 1
	}
	return func(yield func(*StoredMsg, error) bool) {
		if b.Batch <= 0 {
			yield(nil, fmt.Errorf("%w: batch %d", ErrInvalidOption, b.Batch))
			return
		}
		_, _ = js.directBatch(ctx, stream, req, yield)
	}
}

// DirectMultiLast asks DirectGetMultiLast for the last message of each
// subject matching Subjects (wildcards allowed), as of UpToSeq or UpToTime
// (zero: now), Batch messages per reply (0: the server's cap, which
// refuses more than 1024 subjects with status 413).
type DirectMultiLast struct {
	Subjects []string
	UpToSeq  uint64
	UpToTime time.Time
	Batch    int
}

// DirectGetMultiLast yields the last message of each subject of q, paging
// on the 204 EOB's counters until the server has nothing pending (ADR-31,
// nats-server 2.11). Every page reads the same point in time.
func (js *JetStream) DirectGetMultiLast(ctx context.Context, stream string, q DirectMultiLast) iter.Seq2[*StoredMsg, error] {
	return func(yield func(*StoredMsg, error) bool) {
		if len(q.Subjects) == 0 || q.Batch < 0 {
			yield(nil, fmt.Errorf("%w: multi last of %d subjects, batch %d", ErrInvalidOption, len(q.Subjects), q.Batch))
			return
		}
		req := directRequest{MultiLast: q.Subjects, UpToSeq: q.UpToSeq, Batch: q.Batch}
		if !q.UpToTime.IsZero() {
			t := q.UpToTime
			req.UpToTime = &t
		}
		for {
			eob, ok := js.directBatch(ctx, stream, req, yield)
			if !ok || eob.pending == 0 || eob.lastSeq == 0 {
				return
			}
			// The next page starts after the last sequence sent, pinned
			// to the same point in time.
			req.Seq = eob.lastSeq + 1
			if eob.upTo > 0 {
				req.UpToSeq, req.UpToTime = eob.upTo, nil
			}
		}
	}
}

type endOfBatch struct {
	pending, lastSeq, upTo uint64
}

// directBatch runs one batched request, yielding its messages. It returns
// the EOB's counters, and false when the loop stopped or failed.
func (js *JetStream) directBatch(ctx context.Context, stream string, req directRequest, yield func(*StoredMsg, error) bool) (endOfBatch, bool) {
	var eob endOfBatch
	if err := checkName(stream); err != nil {
		yield(nil, err)
		return eob, false
	}
	body, _ := json.Marshal(req)
	ctx, cancel := js.withTimeout(ctx)
	defer cancel()
	sawEOB := false
	isEOB := func(m *core.Msg) bool {
		if m.Status() != 204 {
			return false
		}
		sawEOB = true
		eob.pending, _ = strconv.ParseUint(m.Header.Get(HeaderNumPending), 10, 64)
		eob.lastSeq, _ = strconv.ParseUint(m.Header.Get(HeaderLastSeq), 10, 64)
		eob.upTo, _ = strconv.ParseUint(m.Header.Get(HeaderUpToSeq), 10, 64)
		return true
	}
	msg := &core.Msg{Subject: js.prefix + "DIRECT.GET." + stream, Data: body}
	for m, err := range js.nc.RequestManyMsg(ctx, msg, core.Sentinel(isEOB)) {
		if err != nil {
			if err == core.ErrNoResponders {
				err = fmt.Errorf("%w: direct get %s", ErrNoStreamResponse, stream)
			}
			yield(nil, err)
			return eob, false
		}
		sm, err := directMsg(m)
		if err != nil {
			// 404 ends a batch that matched nothing.
			if isErr(err, ErrMsgNotFound) {
				return eob, false
			}
			yield(nil, err)
			return eob, false
		}
		if !yield(sm, nil) {
			return eob, false
		}
	}
	if !sawEOB {
		if err := ctx.Err(); err != nil {
			yield(nil, err)
		} else {
			yield(nil, fmt.Errorf("%w: batch ended without EOB", ErrInvalidResponse))
		}
		return eob, false
	}
	return eob, true
}
