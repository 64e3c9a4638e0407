package core

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// MaxMessages ends RequestMany after n replies. Default: no limit.
func MaxMessages(n int) RequestOption {
	return func(r *requestConfig) { r.maxMsgs = n }
}

// StallTimeout ends RequestMany when no reply came for d after the first
// (the first may take the whole timeout). Default: none, only the total
// timeout.
func StallTimeout(d time.Duration) RequestOption {
	return func(r *requestConfig) { r.stall = d }
}

// Sentinel ends RequestMany at the first reply for which isEnd returns true;
// that reply is not yielded. Default: no sentinel.
func Sentinel(isEnd func(*Msg) bool) RequestOption {
	return func(r *requestConfig) { r.sentinel = isEnd }
}

// EmptySentinel ends RequestMany at the first reply with neither data nor
// headers: the standard sentinel of ADR-47. Default: no sentinel.
func EmptySentinel() RequestOption {
	return Sentinel(func(m *Msg) bool { return len(m.Data) == 0 && len(m.rawHeader) == 0 })
}

// RequestMany publishes data to subject and yields the replies as they
// come (scatter-gather), until ctx's deadline (or the request timeout when
// ctx has none), MaxMessages, StallTimeout or a Sentinel ends it; those
// endings are normal and stop the loop without an error. A no-responders
// status yields ErrNoResponders, a closed connection ErrConnectionClosed,
// and cancelling ctx yields its error. The request is sent when the loop
// starts; breaking out of the loop ends it.
//
// Replies wait for the loop in a queue bounded by the pending message limit
// (WithPendingLimits); replies that find it full are dropped, and the loop
// yields a *RepliesDroppedError (matching ErrSlowConsumer) with their count
// where they went missing, then goes on with later replies if the caller
// keeps looping.
func (c *Conn) RequestMany(ctx context.Context, subject string, data []byte, opts ...RequestOption) iter.Seq2[*Msg, error] {
	return c.requestMany(ctx, subject, nil, data, opts)
}

// RequestManyMsg is RequestMany for a message with headers.
func (c *Conn) RequestManyMsg(ctx context.Context, m *Msg, opts ...RequestOption) iter.Seq2[*Msg, error] {
	return c.requestMany(ctx, m.Subject, m.Header, m.Data, opts)
}

func (c *Conn) requestMany(ctx context.Context, subject string, hdr Header, data []byte, opts []RequestOption) iter.Seq2[*Msg, error] {
	cfg := applyRequestOptions(opts)
	return func(yield func(*Msg, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(nil, err) // sends nothing, as Request
			return
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opts.requestTimeout)
			defer cancel()
		}
		w, id, reply, err := c.resp.register(nil, true)
		if err != nil {
			yield(nil, err)
			return
		}
		defer c.resp.done(id, w)
		if err := c.publish(subject, string(reply), hdr, nil, data); err != nil {
			yield(nil, err)
			return
		}
		var stall *time.Timer
		if cfg.stall > 0 {
			stall = time.NewTimer(time.Hour)
			stall.Stop()
			defer stall.Stop()
		}
		for n := 0; cfg.maxMsgs <= 0 || n < cfg.maxMsgs; n++ {
			var stallC <-chan time.Time
			if stall != nil && n > 0 {
				stall.Reset(cfg.stall)
				stallC = stall.C
			}
			m, err := w.many.next(ctx, stallC, c.closing)
			var dropped *RepliesDroppedError
			switch {
			case errors.As(err, &dropped):
				// Reported where the replies went missing; the request
				// goes on if the caller does.
				if !yield(nil, err) {
					return
				}
				n--
				continue
			case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrTimeout):
				return // the total or stall timeout: a normal end
			case err != nil:
				yield(nil, err)
				return
			}
			if _, err := replyOrError(m); err != nil {
				yield(nil, err)
				return
			}
			if cfg.sentinel != nil && cfg.sentinel(m) {
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// replyQueue holds RequestMany's replies until the loop takes them. The
// reader never waits on it: past its limit, replies are dropped.
type replyQueue struct {
	mu     sync.Mutex
	msgs   []*Msg
	limit  int
	closed bool
	notify chan struct{}
	// in and out count the replies queued and taken so far; drops lists
	// the runs of dropped replies not yet reported, each after the in-th
	// queued reply, so that each report comes in its place. There are at
	// most limit+1 runs: a queued reply separates two.
	in, out int
	drops   []dropRun
}

// dropRun is a run of replies dropped one after another.
type dropRun struct{ after, n int }

func newReplyQueue(limit int) *replyQueue {
	return &replyQueue{limit: limit, notify: make(chan struct{}, 1)}
}

func (q *replyQueue) push(m *Msg) {
	q.mu.Lock()
	if q.limit <= 0 || len(q.msgs) < q.limit {
		q.msgs = append(q.msgs, m)
		q.in++
	} else if k := len(q.drops) - 1; k >= 0 && q.drops[k].after == q.in {
		q.drops[k].n++
	} else {
		q.drops = append(q.drops, dropRun{after: q.in, n: 1})
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *replyQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// next returns the next reply, waiting for it, the stall timer, the Conn's
// closing or ctx.
func (q *replyQueue) next(ctx context.Context, stall <-chan time.Time, closing <-chan struct{}) (*Msg, error) {
	for {
		q.mu.Lock()
		if len(q.drops) > 0 && q.drops[0].after == q.out {
			err := &RepliesDroppedError{Dropped: q.drops[0].n, Limit: q.limit}
			q.drops = q.drops[1:]
			q.mu.Unlock()
			return nil, err
		}
		if len(q.msgs) > 0 {
			m := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			q.out++
			q.mu.Unlock()
			return m, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, ErrConnectionClosed
		}
		select {
		case <-q.notify:
		case <-stall:
			return nil, ErrTimeout
		case <-closing:
			return nil, ErrConnectionClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
