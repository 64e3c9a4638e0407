package js

import (
	"context"
	"sync"
	"time"

	"github.com/starling-nats/starling/core"
)

// nextSubject is the subject pulls are published to.
func (c *Consumer) nextSubject() string {
	return c.js.prefix + "CONSUMER.MSG.NEXT." + c.stream + "." + c.name
}

// fetchClientMargin is how much longer than the request's expiry Fetch
// waits for the server's 408, so that a slow reply still ends it cleanly.
const fetchClientMargin = time.Second

// Fetch pulls up to n messages with one request and returns what arrived.
// The error is nil when n messages came; otherwise it says why the pull
// ended early: a *PullStatusError (ErrNoMessages, ErrPullExpired,
// ErrBatchCompleted, ErrMaxBytesExceeded, ErrConsumerDeleted, ...),
// ErrNoHeartbeat, or ctx's error; the messages that came before are
// returned with it. The request waits at the server for PullExpiry (30 s
// by default) or until ctx's deadline, whichever is first; with
// PullHeartbeat the server's silence is noticed sooner.
func (c *Consumer) Fetch(ctx context.Context, n int, opts ...PullOption) ([]*Msg, error) {
	o, err := applyPullOpts(opts)
	if err != nil {
		return nil, err
	}
	return c.fetch(ctx, n, &o)
}

// FetchNoWait pulls up to n messages the consumer has now, without waiting
// for more; an empty consumer ends it with ErrNoMessages.
func (c *Consumer) FetchNoWait(ctx context.Context, n int, opts ...PullOption) ([]*Msg, error) {
	o, err := applyPullOpts(opts)
	if err != nil {
		return nil, err
	}
	o.noWait = true
	return c.fetch(ctx, n, &o)
}

// Next pulls one message, waiting until one comes, the request expires
// (*PullStatusError matching ErrPullExpired) or ctx ends.
func (c *Consumer) Next(ctx context.Context, opts ...PullOption) (*Msg, error) {
	msgs, err := c.Fetch(ctx, 1, opts...)
	if len(msgs) == 1 {
		return msgs[0], nil
	}
	return nil, err
}

// fetchState is shared between Fetch and the reader goroutine that fills
// it.
type fetchState struct {
	mu    sync.Mutex
	msgs  []*Msg
	want  int
	err   error
	done  chan struct{}
	ended bool
	beats int
}

func (f *fetchState) end(err error) {
	if !f.ended {
		f.ended, f.err = true, err
		close(f.done)
	}
}

func (c *Consumer) fetch(ctx context.Context, n int, o *pullOpts) ([]*Msg, error) {
	if n <= 0 {
		return nil, ErrInvalidOption
	}
	expires := o.expiry
	if expires == 0 {
		expires = DefaultPullExpiry
	}
	if dl, ok := ctx.Deadline(); ok {
		// Leave the server time to say the request expired before the
		// caller's deadline, so the end is a 408, not a guess.
		left := time.Until(dl)
		if m := left / 10; left-m < expires {
			expires = left - min(m, fetchClientMargin)
		}
		if expires <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	if o.heartbeat > expires/2 {
		o.heartbeat = 0 // a short deadline leaves no room for heartbeats
	}
	nc := c.js.nc
	f := &fetchState{want: n, done: make(chan struct{})}
	handle := func(bm *core.BorrowedMsg) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.ended {
			return
		}
		if st := bm.Header.Status(); st != 0 && len(bm.Data) == 0 {
			if st == 100 {
				f.beats++
				return
			}
			ps := pullStatus(bm.Header)
			if ps.kind == ErrPinIDMismatch {
				c.setPin("")
			}
			f.end(ps)
			return
		}
		if id := bm.Header.Get("Nats-Pin-Id"); id != nil && validPinID(id) {
			if p := c.pin(); p != string(id) {
				c.setPin(string(id))
			}
		}
		f.msgs = append(f.msgs, newMsg(nc, bm.Subject, bm.Reply, bm.Header, bm.Data))
		if len(f.msgs) == f.want {
			f.end(nil)
		}
	}
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeBorrowed(inbox, handle)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	req := pullRequest{batch: n, maxBytes: o.maxBytes, heartbeat: o.heartbeat, noWait: o.noWait, o: o, pin: c.pin()}
	if !o.noWait {
		req.expires = expires
	}
	var buf [256]byte
	if err := nc.PublishRequest(c.nextSubject(), inbox, appendPullRequest(buf[:0], &req)); err != nil {
		return nil, err
	}
	timer := time.NewTimer(expires + fetchClientMargin)
	defer timer.Stop()
	var hb <-chan time.Time
	if o.heartbeat > 0 {
		t := time.NewTicker(2 * o.heartbeat)
		defer t.Stop()
		hb = t.C
	}
	seen := -1
	for {
		select {
		case <-f.done:
			return f.msgs, f.err
		case <-ctx.Done():
			return f.finish(ctx.Err())
		case <-nc.Closed():
			return f.finish(core.ErrConnectionClosed)
		case <-timer.C:
			return f.finish(&PullStatusError{Code: 408, Description: "Request Timeout (client)", PendingMsgs: -1, PendingBytes: -1, kind: ErrPullExpired})
		case <-hb:
			f.mu.Lock()
			progress := f.beats + len(f.msgs)
			f.mu.Unlock()
			if progress == seen {
				return f.finish(ErrNoHeartbeat)
			}
			seen = progress
		}
	}
}

// finish ends the fetch with err unless the reader ended it first.
func (f *fetchState) finish(err error) ([]*Msg, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.end(err)
	return f.msgs, f.err
}
