package transport

import (
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"
)

// FaultConn wraps a connection and fails it on command, for tests of code that must
// survive a bad network (ours, and our users'). Faults apply to the bytes passing
// through the wrapper: wrap a TCP connection and a later TLS layer on top sees the
// corruption as a broken record, as it would on a real link.
//
// Every fault method may be called at any time from any goroutine, also while Read or
// Write are blocked. Random choices (which bits flip, where writes split) come from
// seeds, so a failing test replays exactly. The wrapper keeps no goroutine; its waits
// honour the deadlines set on it, and Close and Cut end them.
type FaultConn struct {
	inner  Conn
	rdl    *deadline
	wdl    *deadline
	cut    chan struct{}
	closed chan struct{}

	cutOnce, closeOnce sync.Once
	rmu, wmu           sync.Mutex // one Read and one Write at a time

	mu        sync.Mutex // guards the fault settings below
	blackhole bool
	delay     time.Duration
	rate      int // bytes per second; 0 = unlimited
	corrupt   int // bytes still to corrupt on read
	rng       *rand.Rand
	split     *rand.Rand // nil = writes whole

	// Read side state, under rmu.
	pending   []byte // bytes read but held back by Delay past a deadline
	pendingAt time.Time
	readNext  time.Time // Throttle: earliest time of the next read
	// Write side state, under wmu.
	writeNext time.Time
}

// NewFaulty wraps c. seed drives Corrupt's choice of bits. The wrapper starts healthy:
// bytes pass unchanged until a fault is set.
func NewFaulty(c Conn, seed int64) *FaultConn {
	return &FaultConn{
		inner:  c,
		rdl:    newDeadline(),
		wdl:    newDeadline(),
		cut:    make(chan struct{}),
		closed: make(chan struct{}),
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5f6e_6174_735f)),
	}
}

// Cut fails both directions now: blocked and later Reads and Writes return ErrCut. The
// peer notices nothing (no FIN, no RST) until the connection is closed, as when a
// cable is pulled. Cut is final; Heal does not undo it.
func (f *FaultConn) Cut() {
	f.cutOnce.Do(func() {
		close(f.cut)
		// Wake a Read or Write blocked in the inner connection.
		_ = f.inner.SetDeadline(aLongTimeAgo)
	})
}

// Blackhole swallows what is written (Write reports success) and drops what arrives, so
// Read blocks until Cut, Close, Heal (bytes arriving after it are delivered) or its
// deadline: a peer that vanished without closing the connection.
func (f *FaultConn) Blackhole() {
	f.mu.Lock()
	f.blackhole = true
	f.mu.Unlock()
}

// Delay holds each Write for d before it reaches the inner connection, and each chunk
// read for d before Read returns it. It models latency per operation: a caller that
// waits for each answer before the next request sees its round trip grow by 2d.
func (f *FaultConn) Delay(d time.Duration) {
	f.mu.Lock()
	f.delay = max(d, 0)
	f.mu.Unlock()
}

// Throttle limits each direction to bytesPerSec (0 or less: unlimited), in chunks of
// at most a twentieth of a second's worth.
func (f *FaultConn) Throttle(bytesPerSec int) {
	f.mu.Lock()
	f.rate = max(bytesPerSec, 0)
	f.mu.Unlock()
}

// Corrupt flips one bit, chosen with the seed, in each of the next n bytes read.
func (f *FaultConn) Corrupt(n int) {
	f.mu.Lock()
	f.corrupt += max(n, 0)
	f.mu.Unlock()
}

// SplitWrites delivers each later Write to the inner connection in random pieces (at
// least two for a Write of two bytes or more), drawn from seed, so the peer's reader
// sees every way a message can be cut.
func (f *FaultConn) SplitWrites(seed int64) {
	f.mu.Lock()
	f.split = rand.New(rand.NewPCG(uint64(seed), 0x73_706c_6974))
	f.mu.Unlock()
}

// Heal clears Blackhole, Delay, Throttle, Corrupt and SplitWrites. It does not undo Cut.
func (f *FaultConn) Heal() {
	f.mu.Lock()
	f.blackhole, f.delay, f.rate, f.corrupt, f.split = false, 0, 0, 0, nil
	f.mu.Unlock()
}

// NetConn returns the wrapped connection (the name follows tls.Conn; see
// TLSConnectionState).
func (f *FaultConn) NetConn() net.Conn { return f.inner }

// IsCut reports whether Cut was called.
func (f *FaultConn) IsCut() bool { return isClosed(f.cut) }

// stopped returns the error that ends every operation, if any.
func (f *FaultConn) stopped() error {
	switch {
	case isClosed(f.cut):
		return ErrCut
	case isClosed(f.closed):
		return net.ErrClosed
	}
	return nil
}

// sleep waits d, or less if the connection is cut or closed or the deadline passes.
func (f *FaultConn) sleep(d time.Duration, dl *deadline) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-f.cut:
		return ErrCut
	case <-f.closed:
		return net.ErrClosed
	case <-dl.wait():
		return os.ErrDeadlineExceeded
	}
}

// Read reads from the inner connection through the faults that are set.
func (f *FaultConn) Read(p []byte) (int, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	for {
		if err := f.stopped(); err != nil {
			return 0, err
		}
		if f.rdl.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		if len(f.pending) > 0 {
			if err := f.sleep(time.Until(f.pendingAt), f.rdl); err != nil {
				return 0, err
			}
			n := copy(p, f.pending)
			f.pending = f.pending[:copy(f.pending, f.pending[n:])]
			return n, nil
		}
		f.mu.Lock()
		rate := f.rate
		f.mu.Unlock()
		if rate > 0 {
			if err := f.sleep(time.Until(f.readNext), f.rdl); err != nil {
				return 0, err
			}
			p = p[:min(len(p), max(rate/20, 1))]
		}

		n, err := f.inner.Read(p)
		if e := f.stopped(); e != nil {
			return 0, e
		}
		f.mu.Lock()
		blackhole, delay := f.blackhole, f.delay
		if n > 0 && !blackhole {
			for i := 0; i < n && f.corrupt > 0; i++ {
				p[i] ^= 1 << f.rng.IntN(8)
				f.corrupt--
			}
		}
		f.mu.Unlock()
		if blackhole {
			if err != nil {
				return 0, err
			}
			continue // dropped
		}
		if rate > 0 && n > 0 {
			f.readNext = time.Now().Add(time.Duration(n) * time.Second / time.Duration(rate))
		}
		if delay > 0 && n > 0 {
			at := time.Now().Add(delay)
			if e := f.sleep(delay, f.rdl); e != nil {
				if e == os.ErrDeadlineExceeded {
					// Keep the bytes for the next Read: a deadline must not lose data.
					f.pending = append(f.pending[:0], p[:n]...)
					f.pendingAt = at
				}
				return 0, e
			}
		}
		return n, err
	}
}

// Write writes to the inner connection through the faults that are set.
func (f *FaultConn) Write(p []byte) (int, error) {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if err := f.stopped(); err != nil {
		return 0, err
	}
	if f.wdl.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	f.mu.Lock()
	blackhole, delay, rate, split := f.blackhole, f.delay, f.rate, f.split
	f.mu.Unlock()
	if blackhole {
		return len(p), nil
	}
	if err := f.sleep(delay, f.wdl); err != nil {
		return 0, err
	}
	written := 0
	for written < len(p) {
		size := len(p) - written
		if split != nil && size > 1 {
			f.mu.Lock()
			size = 1 + split.IntN(size-1)
			f.mu.Unlock()
		}
		if rate > 0 {
			size = min(size, max(rate/20, 1))
			if err := f.sleep(time.Until(f.writeNext), f.wdl); err != nil {
				return written, err
			}
		}
		n, err := f.inner.Write(p[written : written+size])
		written += n
		if e := f.stopped(); e != nil {
			return written, e
		}
		if err != nil {
			return written, err
		}
		if rate > 0 {
			f.writeNext = time.Now().Add(time.Duration(n) * time.Second / time.Duration(rate))
		}
	}
	return written, nil
}

// Close closes the inner connection and ends blocked operations with net.ErrClosed
// (ErrCut if the connection was cut).
func (f *FaultConn) Close() error {
	err := net.ErrClosed
	f.closeOnce.Do(func() {
		close(f.closed)
		err = f.inner.Close()
	})
	return err
}

func (f *FaultConn) LocalAddr() net.Addr  { return f.inner.LocalAddr() }
func (f *FaultConn) RemoteAddr() net.Addr { return f.inner.RemoteAddr() }

// SetDeadline sets both deadlines (see SetReadDeadline).
func (f *FaultConn) SetDeadline(t time.Time) error {
	_ = f.SetReadDeadline(t)
	return f.SetWriteDeadline(t)
}

// SetReadDeadline bounds Read, its waits included, and is passed to the inner
// connection (unless it was cut).
func (f *FaultConn) SetReadDeadline(t time.Time) error {
	f.rdl.set(t)
	if f.IsCut() {
		return nil
	}
	err := f.inner.SetReadDeadline(t)
	if f.IsCut() {
		// Cut ran meanwhile: keep its wake-up deadline in place.
		_ = f.inner.SetDeadline(aLongTimeAgo)
	}
	return err
}

// SetWriteDeadline bounds Write, its waits included, and is passed to the inner
// connection (unless it was cut).
func (f *FaultConn) SetWriteDeadline(t time.Time) error {
	f.wdl.set(t)
	if f.IsCut() {
		return nil
	}
	err := f.inner.SetWriteDeadline(t)
	if f.IsCut() {
		// Cut ran meanwhile: keep its wake-up deadline in place.
		_ = f.inner.SetDeadline(aLongTimeAgo)
	}
	return err
}
