package js

import (
	"context"
	"sync"
)

// PubAckFuture is the outcome of one PublishAsync, settled exactly once:
// by the ack, by the server's error, by the per-message ack timeout, or by
// the loss of the connection or of the publisher. It never stays pending
// past its ack timeout.
type PubAckFuture struct {
	mu   sync.Mutex
	done bool
	ack  PubAck
	err  error
	ch   chan struct{} // made only when someone waits before the outcome
}

// Wait returns the ack or the error, waiting until one is known or ctx
// ends (then ctx's error, and the future stays pending).
func (f *PubAckFuture) Wait(ctx context.Context) (*PubAck, error) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return f.result()
	}
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	ch := f.ch
	f.mu.Unlock()
	select {
	case <-ch:
		return f.result()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Done returns a channel closed when the outcome is known.
func (f *PubAckFuture) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = make(chan struct{})
		if f.done {
			close(f.ch)
		}
	}
	return f.ch
}

// Result returns the outcome and true once known, or false while pending.
func (f *PubAckFuture) Result() (*PubAck, error, bool) {
	f.mu.Lock()
	done := f.done
	f.mu.Unlock()
	if !done {
		return nil, nil, false
	}
	a, err := f.result()
	return a, err, true
}

// result reads the settled outcome; done is set, so ack and err no longer
// change.
func (f *PubAckFuture) result() (*PubAck, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &f.ack, nil
}

// settle records err (nil: f.ack holds the ack) once.
func (f *PubAckFuture) settle(err error) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	f.err, f.done = err, true
	if f.ch != nil {
		close(f.ch)
	}
	f.mu.Unlock()
}
