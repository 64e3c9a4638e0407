package transport

import (
	"sync"
	"time"
)

// deadline turns a net.Conn deadline into a channel that is closed when it passes,
// so a blocked operation can select on it next to its other wake-ups. Setting a new
// deadline re-arms the channel; setting the zero time disarms it. No goroutine is kept:
// a timer closes the channel when the deadline passes.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	expiry chan struct{} // closed when the current deadline has passed
}

func newDeadline() *deadline { return &deadline{expiry: make(chan struct{})} }

// set arms the deadline at t; the zero time means none. A waiter keeps the channel it
// got: an open channel is only ever closed (deadline passed) or re-armed, and is
// replaced only once closed, so no waiter misses its wake-up.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.expiry // the timer fired: wait until its callback has closed the channel
	}
	d.timer = nil
	closed := isClosed(d.expiry)
	if t.IsZero() {
		if closed {
			d.expiry = make(chan struct{})
		}
		return
	}
	if wait := time.Until(t); wait > 0 {
		if closed {
			d.expiry = make(chan struct{})
		}
		ch := d.expiry
		d.timer = time.AfterFunc(wait, func() { close(ch) })
		return
	}
	if !closed {
		close(d.expiry)
	}
}

// wait returns the channel closed when the deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.expiry
}

// expired reports whether the deadline has passed.
func (d *deadline) expired() bool { return isClosed(d.wait()) }

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
