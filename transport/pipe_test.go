package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

func TestPipeBothWritersFirst(t *testing.T) {
	// With net.Pipe this deadlocks: each Write waits for a Read that never comes.
	a, b := NewPipe()
	defer a.Close()
	defer b.Close()
	_, err := a.Write([]byte("INFO {}\r\n"))
	require.NoError(t, err)
	_, err = b.Write([]byte("CONNECT {}\r\n"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, err := b.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "INFO {}\r\n", string(buf[:n]))
	n, err = a.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "CONNECT {}\r\n", string(buf[:n]))
}

func TestPipeStreamIntegrity(t *testing.T) {
	a, b := NewPipe(WithPipeBuffer(7)) // tiny: every write wraps the ring many times
	defer a.Close()
	defer b.Close()
	want := make([]byte, 100_000)
	for i := range want {
		want[i] = byte(i * 7)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := want; len(p) > 0; {
			k := min(len(p), 1+len(p)%13)
			n, err := a.Write(p[:k])
			assert.NoError(t, err)
			p = p[n:]
		}
		a.Close()
	}()
	got, err := io.ReadAll(b)
	wg.Wait()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got))
}

func TestPipeBackPressureAndWriteDeadline(t *testing.T) {
	a, b := NewPipe(WithPipeBuffer(4))
	defer a.Close()
	defer b.Close()
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	n, err := a.Write([]byte("0123456789"))
	assert.Equal(t, 4, n, "the buffer takes 4 bytes, then Write waits for the reader")
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	// Moving the deadline makes the pipe usable again.
	require.NoError(t, a.SetWriteDeadline(time.Time{}))
	buf := make([]byte, 4)
	_, err = io.ReadFull(b, buf)
	require.NoError(t, err)
	assert.Equal(t, "0123", string(buf))
	n, err = a.Write([]byte("4567"))
	require.NoError(t, err)
	assert.Equal(t, 4, n)
}

func TestPipeReadDeadline(t *testing.T) {
	a, b := NewPipe()
	defer a.Close()
	defer b.Close()
	require.NoError(t, b.SetReadDeadline(time.Now().Add(30*time.Millisecond)))
	start := time.Now()
	_, err := b.Read(make([]byte, 8))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 25*time.Millisecond)

	// A deadline in the past fails at once, even with data buffered (as TCP does).
	_, err = a.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(-time.Second)))
	_, err = b.Read(make([]byte, 8))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)

	// A blocked Read wakes when the deadline is moved closer.
	require.NoError(t, b.SetReadDeadline(time.Time{}))
	buf := make([]byte, 8)
	_, err = b.Read(buf) // drains "x"
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := b.Read(buf); done <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, b.SetReadDeadline(time.Now()))
	select {
	case err := <-done:
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not wake up on the new deadline")
	}
}

func TestPipeClose(t *testing.T) {
	a, b := NewPipe()
	_, err := a.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	assert.ErrorIs(t, a.Close(), net.ErrClosed)

	// The peer drains, then sees EOF; its writes fail.
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "bye", string(got))
	_, err = b.Write([]byte("x"))
	assert.ErrorIs(t, err, io.ErrClosedPipe)

	// The closed end fails at once.
	_, err = a.Read(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
	_, err = a.Write([]byte("x"))
	assert.ErrorIs(t, err, net.ErrClosed)
	require.NoError(t, b.Close())
}

func TestPipeCloseWakesBlocked(t *testing.T) {
	a, b := NewPipe(WithPipeBuffer(1))
	errs := make(chan error, 3)
	go func() { _, err := b.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := a.Write([]byte("xyz")); errs <- err }() // blocks after 1 byte
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	for range 2 {
		select {
		case err := <-errs:
			assert.True(t, err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe), "%v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("blocked operation not woken by Close")
		}
	}
	assert.Equal(t, "pipe-a", a.LocalAddr().String())
	assert.Equal(t, "pipe-b", a.RemoteAddr().String())
	assert.Equal(t, "pipe", b.LocalAddr().Network())
}

func TestPipeZeroAlloc(t *testing.T) {
	a, b := NewPipe()
	defer a.Close()
	defer b.Close()
	msg := []byte("PUB foo 5\r\nhello\r\n")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = a.Write(msg)
		_, _ = b.Read(buf)
	})
	assert.Zero(t, allocs)
}
