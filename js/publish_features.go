package js

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/nats-io/nuid"
	"github.com/starling-nats/starling/core"
)

// need records that the publish uses a feature of API level l.
func (o *pubOpts) need(l int, feature string) {
	if l > o.level {
		o.level, o.feature = l, feature
	}
}

// Incr makes the publish a counter increment (Nats-Incr) by delta, which
// may be negative; the stream needs AllowMsgCounter and the message no
// payload. The PubAck's Value is the counter's new total. nats-server
// 2.12 (API level 2).
func Incr(delta *big.Int) PubOption {
	return func(o *pubOpts) error {
		if delta == nil {
			return fmt.Errorf("%w: nil increment", ErrInvalidOption)
		}
		o.incr = delta.String()
		o.need(levelCounter, "counters")
		return nil
	}
}

// Schedule makes the message a schedule (Nats-Schedule) that publishes
// its payload to target when pattern fires: "@at <RFC 3339>", "@every
// <duration>" or a cron expression. The stream needs AllowMsgSchedules
// and must store target. nats-server 2.12 (API level 2).
func Schedule(pattern, target string) PubOption {
	return func(o *pubOpts) error {
		if pattern == "" || target == "" {
			return fmt.Errorf("%w: schedule %q to %q", ErrInvalidOption, pattern, target)
		}
		o.schedule, o.scheduleTarget = pattern, target
		o.need(levelSchedule, "message schedules")
		return nil
	}
}

// ScheduleAt is Schedule firing once at t (a delayed message).
func ScheduleAt(t time.Time, target string) PubOption {
	return Schedule("@at "+t.UTC().Format(time.RFC3339), target)
}

// ScheduleEvery is Schedule firing every d (at least a second).
func ScheduleEvery(d time.Duration, target string) PubOption {
	if d < time.Second {
		return func(*pubOpts) error { return fmt.Errorf("%w: schedule every %v", ErrInvalidOption, d) }
	}
	return Schedule("@every "+d.String(), target)
}

// ScheduleTTL sets the TTL of the messages a schedule produces
// (Nats-Schedule-TTL).
func ScheduleTTL(d time.Duration) PubOption {
	return func(o *pubOpts) error {
		if d < time.Second {
			return fmt.Errorf("%w: schedule ttl %v", ErrInvalidOption, d)
		}
		o.scheduleTTL = d.String()
		return nil
	}
}

// featureHeaders adds the headers of the newer features to h.
func (o *pubOpts) featureHeaders(h core.Header) {
	if o.incr != "" {
		h.Set(HeaderIncr, o.incr)
	}
	if o.schedule != "" {
		h.Set(HeaderSchedule, o.schedule)
		h.Set(HeaderScheduleTarget, o.scheduleTarget)
	}
	if o.scheduleTTL != "" {
		h.Set(HeaderScheduleTTL, o.scheduleTTL)
	}
}

// Increment adds delta to the counter on subject and returns the new
// total.
func (js *JetStream) Increment(ctx context.Context, subject string, delta *big.Int, opts ...PubOption) (*big.Int, error) {
	ack, err := js.Publish(ctx, subject, nil, append(opts, Incr(delta))...)
	if err != nil {
		return nil, err
	}
	v, ok := new(big.Int).SetString(ack.Value, 10)
	if !ok {
		return nil, fmt.Errorf("%w: counter value %q", ErrInvalidResponse, ack.Value)
	}
	return v, nil
}

// Counter reads the current total of the counter on subject from the
// stream leader; a subject never incremented is ErrMsgNotFound.
func (js *JetStream) Counter(ctx context.Context, stream, subject string) (*big.Int, error) {
	if err := js.requireLevel(ctx, "counters", levelCounter); err != nil {
		return nil, err
	}
	m, err := js.GetLastMsg(ctx, stream, subject)
	if err != nil {
		return nil, err
	}
	var body struct {
		Val string `json:"val"`
	}
	if err := json.Unmarshal(m.Data, &body); err != nil {
		return nil, fmt.Errorf("%w: counter message: %v", ErrInvalidResponse, err)
	}
	v, ok := new(big.Int).SetString(body.Val, 10)
	if !ok {
		return nil, fmt.Errorf("%w: counter value %q", ErrInvalidResponse, body.Val)
	}
	return v, nil
}

// AtomicBatch stages messages that a stream with AllowAtomicPublish
// stores all together at Commit, or not at all (nats-server 2.12, API
// level 2). Add sends each message at once; the server holds them until
// the commit. An AtomicBatch is for one goroutine and one commit.
type AtomicBatch struct {
	js        *JetStream
	id        string
	seq       int
	committed bool
}

// NewAtomicBatch starts a batch with a fresh ID.
func (js *JetStream) NewAtomicBatch(ctx context.Context) (*AtomicBatch, error) {
	if err := js.requireLevel(ctx, "atomic batch publish", levelAtomic); err != nil {
		return nil, err
	}
	return &AtomicBatch{js: js, id: nuid.Next()}, nil
}

// ID returns the batch's Nats-Batch-Id.
func (b *AtomicBatch) ID() string { return b.id }

// Size returns how many messages the batch holds.
func (b *AtomicBatch) Size() int { return b.seq }

// Add sends m as the batch's next message. Expectations (ExpectLastSequence
// ...) apply to it, checked at the commit; MsgID is refused by the server
// within a batch.
func (b *AtomicBatch) Add(m *core.Msg, opts ...PubOption) error {
	if b.committed {
		return fmt.Errorf("%w: batch already committed", ErrInvalidOption)
	}
	h, err := b.header(m.Header, opts, false)
	if err != nil {
		return err
	}
	if err := b.js.nc.PublishMsg(&core.Msg{Subject: m.Subject, Header: h, Data: m.Data}); err != nil {
		return err
	}
	b.seq++
	return nil
}

// Commit sends m as the batch's last message and waits for the ack: the
// batch's messages are stored (PubAck.BatchSize of them) or none is, and
// the *APIError says why.
func (b *AtomicBatch) Commit(ctx context.Context, m *core.Msg, opts ...PubOption) (*PubAck, error) {
	if b.committed {
		return nil, fmt.Errorf("%w: batch already committed", ErrInvalidOption)
	}
	h, err := b.header(m.Header, opts, true)
	if err != nil {
		return nil, err
	}
	b.committed = true
	reply, err := b.js.rawRequest(ctx, m.Subject, h, m.Data)
	if err != nil {
		if isErr(err, ErrNoStreamResponse) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: batch %s: %w", ErrAckTimeout, b.id, err)
	}
	var p ackParser
	ack := new(PubAck)
	if err := p.parse(reply.Data, ack); err != nil {
		return nil, err
	}
	return ack, nil
}

func (b *AtomicBatch) header(base core.Header, opts []PubOption, commit bool) (core.Header, error) {
	var o pubOpts
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	// A copy: the caller's map is not changed.
	h := cloneHeader(o.header(base))
	h.Set(HeaderBatchID, b.id)
	h.Set(HeaderBatchSeq, strconv.Itoa(b.seq+1))
	if commit {
		h.Set(HeaderBatchCommit, "1")
	}
	return h, nil
}

func cloneHeader(h core.Header) core.Header {
	out := make(core.Header, len(h)+3)
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}
