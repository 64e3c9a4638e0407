package core

import (
	"context"
	"time"

	"github.com/starling-nats/starling/codec"
)

// Flush sends everything buffered and waits until the server has processed
// it (a PING answered by a PONG). While disconnected it waits for the next
// session, where its PING follows the replayed publishes, or for ctx.
func (c *Conn) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	w := &c.w
	w.mu.Lock()
	switch w.state {
	case wsClosed:
		w.mu.Unlock()
		return ErrConnectionClosed
	case wsConnected:
		w.buf = codec.AppendPing(w.buf)
		w.wake()
	}
	// Disconnected: install sends one PING per waiter.
	w.pongs = append(w.pongs, ch)
	w.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		// The entry stays queued so PONGs keep matching PINGs; ch is
		// buffered, so the late PONG does not block the reader.
		return ctx.Err()
	}
}

// RTT measures one round trip to the server.
func (c *Conn) RTT(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if err := c.Flush(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Buffered returns how many bytes of ops wait to be written (or, while
// disconnected, are held for the next session).
func (c *Conn) Buffered() int {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return len(c.w.buf)
}
