package js

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/starling-nats/starling/core"
)

// Publish stores data on subject in the stream that listens on it and
// returns the server's ack. See PublishMsg.
func (js *JetStream) Publish(ctx context.Context, subject string, data []byte, opts ...PubOption) (*PubAck, error) {
	return js.PublishMsg(ctx, &core.Msg{Subject: subject, Data: data}, opts...)
}

// PublishMsg stores m (subject, headers, data) and returns the server's
// ack; m is not changed.
//
// Outcomes, each distinct:
//   - a *PubAck: the message is stored (Duplicate: it was already);
//   - an *APIError: the stream refused it (an expectation failed, ...);
//     never 409 "duplicate message id is in process" (10158) for a
//     message with a MsgID: that is an earlier attempt still being stored,
//     so the message is republished until its ack arrives;
//   - ErrNoStreamResponse: no stream listens on the subject, after the
//     503 retries of WithPublishRetry;
//   - ErrAckTimeout: no ack and no way to find out. A message with a
//     MsgID (or AutoMsgID) never ends this way while ctx lives: each
//     attempt that times out is republished with the same MsgID, which
//     the stream's duplicate window turns into an ack for the stored copy.
//     Without a deadline on ctx, at most 1+DefaultMaxRepublish attempts
//     are made. The stream deduplicates only within its duplicate window
//     (2 minutes by default): give ctx a deadline inside it, or a
//     republish after the window may store a second copy.
//   - ctx's own error, unwrapped, when ctx had ended before the call:
//     nothing was sent.
func (js *JetStream) PublishMsg(ctx context.Context, m *core.Msg, opts ...PubOption) (*PubAck, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o pubOpts
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.level > 0 {
		if err := js.requireLevel(ctx, o.feature, o.level); err != nil {
			return nil, err
		}
	}
	out := &core.Msg{Subject: m.Subject, Header: o.header(m.Header), Data: m.Data}
	idempotent := o.msgID != "" || out.Header.Get(HeaderMsgID) != ""

	_, hasDeadline := ctx.Deadline()
	attempt, noResp := 0, 0
	for {
		attempt++
		wait := o.ackWait
		if wait == 0 {
			wait = js.opts.timeout
		}
		// The caller's context serves as is when it ends first: no timer
		// of our own.
		actx, cancel := ctx, context.CancelFunc(nil)
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > wait {
			actx, cancel = context.WithTimeout(ctx, wait)
		}
		reply, err := js.nc.RequestMsg(actx, out)
		if cancel != nil {
			cancel()
		}
		switch {
		case err == nil:
			ack := new(PubAck)
			p := ackParser{stream: js.lastStream.Load()}
			if st := reply.Status(); st != 0 {
				return nil, fmt.Errorf("%w: publish reply status %d %s", ErrInvalidResponse, st, reply.Description())
			}
			if len(reply.Data) > js.opts.maxResponse {
				return nil, fmt.Errorf("%w: pub ack of %d bytes", ErrResponseTooLarge, len(reply.Data))
			}
			if err := p.parse(reply.Data, ack); err != nil {
				// 10158: an earlier attempt with this MsgID is still being stored
				// (a republish after an ambiguous timeout overtook it). Not a
				// refusal: republish until the duplicate window answers with the
				// stored copy's ack.
				var apiErr *APIError
				if idempotent && errors.As(err, &apiErr) && apiErr.ErrCode == errCodeDuplicateInProcess &&
					(hasDeadline || attempt <= DefaultMaxRepublish) {
					if err := sleepCtx(ctx, js.opts.retryWait); err != nil {
						return nil, fmt.Errorf("%w: %s: %w", ErrAckTimeout, m.Subject, err)
					}
					continue
				}
				return nil, err
			}
			if p.stream != js.lastStream.Load() {
				js.lastStream.Store(p.stream)
			}
			return ack, nil
		case errors.Is(err, core.ErrNoResponders):
			if noResp >= js.opts.retryAttempts {
				return nil, fmt.Errorf("%w: %s", ErrNoStreamResponse, m.Subject)
			}
			noResp++
			if err := sleepCtx(ctx, js.opts.retryWait); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrNoStreamResponse, m.Subject, err)
			}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			// This attempt's wait ended, the caller's has not.
			if !idempotent || (!hasDeadline && attempt > DefaultMaxRepublish) {
				return nil, fmt.Errorf("%w: %s after %d attempts", ErrAckTimeout, m.Subject, attempt)
			}
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%w: %s: %w", ErrAckTimeout, m.Subject, ctx.Err())
		default:
			return nil, err
		}
	}
}

// errCodeDuplicateInProcess is the err_code of "duplicate message id is in
// process" (409): a message with this MsgID is being stored right now.
const errCodeDuplicateInProcess = 10158

// DefaultMaxRepublish bounds the republishes of a message with a MsgID
// when the caller's context has no deadline.
const DefaultMaxRepublish = 5

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
