package transport

import (
	"context"
	"fmt"
	"sync"
)

// FaultDialer wraps a Dialer so that every connection it dials is a FaultConn, handed
// to the test: through OnDial before Dial returns (to start a connection already
// broken), Next (to wait for the connection a reconnect makes) or Conns. The n-th
// connection (from 0) gets seed+n, so a run replays exactly.
type FaultDialer struct {
	inner Dialer
	seed  int64

	mu      sync.Mutex
	conns   []*FaultConn
	handed  int           // how many connections Next has returned
	dialed  chan struct{} // closed and replaced at each dial
	onDial  func(*FaultConn)
	failErr error
}

// NewFaultDialer wraps inner.
func NewFaultDialer(inner Dialer, seed int64) *FaultDialer {
	return &FaultDialer{inner: inner, seed: seed, dialed: make(chan struct{})}
}

// Dial dials through the inner Dialer and wraps the connection.
func (d *FaultDialer) Dial(ctx context.Context, addr Addr) (Conn, error) {
	d.mu.Lock()
	failErr := d.failErr
	d.mu.Unlock()
	if failErr != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, failErr)
	}
	c, err := d.inner.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	fc := NewFaulty(c, d.seed+int64(len(d.conns)))
	d.conns = append(d.conns, fc)
	onDial := d.onDial
	close(d.dialed)
	d.dialed = make(chan struct{})
	d.mu.Unlock()
	if onDial != nil {
		onDial(fc)
	}
	return fc, nil
}

// OnDial calls fn with each new connection before Dial returns it. Default: none.
func (d *FaultDialer) OnDial(fn func(*FaultConn)) {
	d.mu.Lock()
	d.onDial = fn
	d.mu.Unlock()
}

// FailDials makes Dial fail with err (wrapped, naming the address) without dialing,
// until FailDials(nil). ErrDialRefused is a ready-made err.
func (d *FaultDialer) FailDials(err error) {
	d.mu.Lock()
	d.failErr = err
	d.mu.Unlock()
}

// Conns returns the connections dialed so far, oldest first.
func (d *FaultDialer) Conns() []*FaultConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*FaultConn(nil), d.conns...)
}

// Next returns the oldest connection Next has not returned yet, waiting for a dial if
// there is none, until ctx ends.
func (d *FaultDialer) Next(ctx context.Context) (*FaultConn, error) {
	for {
		d.mu.Lock()
		if d.handed < len(d.conns) {
			fc := d.conns[d.handed]
			d.handed++
			d.mu.Unlock()
			return fc, nil
		}
		wait := d.dialed
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
