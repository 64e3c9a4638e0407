package core

import (
	"context"
	"errors"
	"reflect"
	"runtime"
)

// Drain closes the Conn gracefully: no new subscriptions are accepted,
// every subscription stops receiving and delivers what it already has
// (handlers finish), then buffered publishes are flushed and the Conn
// closes. Publishing stays possible until the flush. If ctx ends first, the
// Conn is closed at once and ctx's error returned.
//
// Called from a message handler (borrowed or owned, of any subscription),
// Drain cannot wait: the drain needs that handler to return. It then
// starts the drain and returns nil at once; wait on Closed outside the
// handler, and read Err for how it ended. The drain started so is bounded
// by ctx's deadline but not by its cancellation, which a handler's
// deferred cancel would trigger as soon as it returns.
func (c *Conn) Drain(ctx context.Context) error {
	if c.IsClosed() {
		return ErrConnectionClosed
	}
	if !c.draining.CompareAndSwap(false, true) {
		return ErrConnectionDraining
	}
	from, ok := c.setStatus(StatusDraining)
	if !ok {
		return ErrConnectionClosed // closed meanwhile
	}
	if from == StatusReconnecting && c.Buffered() == 0 && !c.subs.anyPending() {
		// Nothing is held that a new session could deliver: waiting for
		// one would only delay the close.
		c.close(nil)
		return nil
	}
	if inHandler() {
		ctx, cancel := detach(ctx)
		go func() {
			defer cancel()
			// No caller is left to return the error to: Err and
			// EventClosed carry it.
			c.close(c.drain(ctx))
		}()
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

// detach returns a context with ctx's values and deadline but not its
// cancellation, for a drain that outlives the handler that started it.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, dl)
	}
	return context.WithCancel(d)
}

// The functions at the bottom of the goroutines that run message handlers:
// the reader (borrowed handlers, the request mux) and an owned handler's
// delivery goroutine.
var (
	readerFunc  = funcName((*Conn).readLoop)
	handlerFunc = funcName((*Subscription).runHandler)
)

func funcName(f any) string {
	return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
}

// inHandler reports whether the calling goroutine runs a message handler of
// some Conn, where waiting for a drain would wait for itself. Go gives a
// goroutine no identity to compare, but its stack says what it is: this is
// exact, and costs a stack walk only when Drain is called, nothing on the
// message path.
func inHandler() bool {
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(2, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.Function == readerFunc || f.Function == handlerFunc {
			return true
		}
		if !more {
			return false
		}
	}
}
