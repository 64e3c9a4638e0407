package core

import (
	"context"
	"errors"
)

// Drain closes the Conn gracefully: no new subscriptions are accepted,
// every subscription stops receiving and delivers what it already has
// (handlers finish), then buffered publishes are flushed and the Conn
// closes. Publishing stays possible until the flush. If ctx ends first, the
// Conn is closed at once and ctx's error returned.
func (c *Conn) Drain(ctx context.Context) error {
	if c.IsClosed() {
		return ErrConnectionClosed
	}
	if !c.draining.CompareAndSwap(false, true) {
		return ErrConnectionDraining
	}
	wasDown := c.Status() == StatusReconnecting
	c.status.Store(int32(StatusDraining))
	if wasDown && c.Buffered() == 0 && !c.subs.anyPending() {
		// Nothing is held that a new session could deliver: waiting for
		// one would only delay the close.
		c.close(nil)
		return nil
	}
	err := c.drain(ctx)
	c.close(nil)
	return err
}

func (c *Conn) drain(ctx context.Context) error {
	subs := c.subs.all()
	for _, s := range subs {
		if s.internal {
			continue
		}
		s.unsubbed.Store(true)
		if err := c.sendUnsub(s.sid, 0); err != nil {
			return err
		}
	}
	// After this PONG the server sends nothing more for the subscriptions.
	if err := c.Flush(ctx); err != nil {
		return err
	}
	for _, s := range subs {
		if !s.internal && c.subs.remove(s.sid) {
			s.endReceiving()
		}
	}
	for _, s := range subs {
		if s.internal {
			continue
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Handlers may have published replies: flush those too.
	if err := c.Flush(ctx); err != nil && !errors.Is(err, ErrConnectionClosed) {
		return err
	}
	return nil
}

// IsDraining reports whether Drain is in progress.
func (c *Conn) IsDraining() bool { return c.draining.Load() && !c.IsClosed() }
