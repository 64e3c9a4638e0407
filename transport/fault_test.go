package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// faultPair returns a FaultConn around one end of a pipe, and the other end (the peer).
func faultPair(t *testing.T, seed int64) (*FaultConn, Conn) {
	t.Helper()
	a, b := NewPipe()
	f := NewFaulty(a, seed)
	t.Cleanup(func() { f.Close(); b.Close() })
	return f, b
}

// readWithin reads once from c with a deadline.
func readWithin(c Conn, d time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	return buf[:n], err
}

func TestFaultHealthyPassThrough(t *testing.T) {
	f, peer := faultPair(t, 1)
	_, err := f.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	got, err := readWithin(peer, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "PING\r\n", string(got))
	_, err = peer.Write([]byte("PONG\r\n"))
	require.NoError(t, err)
	got, err = readWithin(f, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "PONG\r\n", string(got))
	assert.Equal(t, "pipe-a", f.LocalAddr().String())
	assert.Equal(t, "pipe-b", f.RemoteAddr().String())
}

func TestFaultCut(t *testing.T) {
	f, peer := faultPair(t, 1)
	readErr := make(chan error, 1)
	go func() { _, err := f.Read(make([]byte, 8)); readErr <- err }()
	time.Sleep(10 * time.Millisecond)
	f.Cut()
	select {
	case err := <-readErr:
		assert.ErrorIs(t, err, ErrCut, "a blocked Read fails at once")
	case <-time.After(5 * time.Second):
		t.Fatal("Cut did not wake the blocked Read")
	}
	_, err := f.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrCut)
	_, err = f.Read(make([]byte, 1))
	assert.ErrorIs(t, err, ErrCut)
	assert.True(t, f.IsCut())
	f.Heal() // does not undo Cut
	_, err = f.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrCut)
	assert.NoError(t, f.SetDeadline(time.Now().Add(time.Hour)), "deadlines may still be set")
	_, err = f.Read(make([]byte, 1))
	assert.ErrorIs(t, err, ErrCut)

	// The peer sees no FIN: its Read times out rather than ending with EOF.
	_, err = readWithin(peer, 30*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	// Closing the cut connection is what the peer finally notices.
	require.NoError(t, f.Close())
	_, err = readWithin(peer, time.Second)
	assert.ErrorIs(t, err, io.EOF)
}

func TestFaultBlackhole(t *testing.T) {
	f, peer := faultPair(t, 1)
	f.Blackhole()
	n, err := f.Write([]byte("PING\r\n"))
	require.NoError(t, err, "writes are swallowed, not failed")
	assert.Equal(t, 6, n)
	_, err = readWithin(peer, 30*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing reaches the peer")

	_, err = peer.Write([]byte("dropped"))
	require.NoError(t, err)
	_, err = readWithin(f, 50*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "reads block until the deadline")

	// After Heal, new bytes flow again; those sent during the blackhole are gone.
	f.Heal()
	_, err = peer.Write([]byte("fresh"))
	require.NoError(t, err)
	got, err := readWithin(f, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "fresh", string(got))
	_, err = f.Write([]byte("out"))
	require.NoError(t, err)
	got, err = readWithin(peer, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "out", string(got))

	// A blackholed Read ends with Cut, or with Close.
	for _, end := range []struct {
		name string
		do   func(*FaultConn)
		want error
	}{{"cut", (*FaultConn).Cut, ErrCut}, {"close", func(f *FaultConn) { f.Close() }, net.ErrClosed}} {
		f, _ := faultPair(t, 1)
		f.Blackhole()
		readErr := make(chan error, 1)
		go func() { _, err := f.Read(make([]byte, 8)); readErr <- err }()
		time.Sleep(10 * time.Millisecond)
		end.do(f)
		select {
		case err := <-readErr:
			assert.ErrorIs(t, err, end.want, end.name)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not end a blackholed Read", end.name)
		}
	}
}

// echo copies everything the peer reads back to it, until it fails.
func echo(t *testing.T, c Conn) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(c, c)
	}()
	t.Cleanup(func() { c.Close(); wg.Wait() })
}

func TestFaultDelay(t *testing.T) {
	const d = 40 * time.Millisecond
	f, peer := faultPair(t, 1)
	echo(t, peer)
	f.Delay(d)
	start := time.Now()
	_, err := f.Write([]byte("ping"))
	require.NoError(t, err)
	got, err := readWithin(f, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(got))
	assert.GreaterOrEqual(t, time.Since(start), 2*d, "a round trip pays the delay both ways")

	// A write deadline shorter than the delay fails the write before anything is sent.
	require.NoError(t, f.SetWriteDeadline(time.Now().Add(d/4)))
	n, err := f.Write([]byte("late"))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, f.SetWriteDeadline(time.Time{}))

	// A read deadline shorter than the delay keeps the bytes for the next Read.
	_, err = f.Write([]byte("kept"))
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond) // the echo is back: only the read's delay is left
	_, err = readWithin(f, d/2)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	got, err = readWithin(f, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got), "no byte lost to the deadline")

	// Heal removes the delay: an hour-long one would fail the deadlines below.
	f.Delay(time.Hour)
	f.Heal()
	require.NoError(t, f.SetWriteDeadline(time.Now().Add(5*time.Second)))
	_, err = f.Write([]byte("fast"))
	require.NoError(t, err)
	got, err = readWithin(f, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "fast", string(got))
}

func TestFaultThrottle(t *testing.T) {
	f, peer := faultPair(t, 1)
	f.Throttle(20_000) // chunks of 1000 bytes, one per 50ms
	data := make([]byte, 4000)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(data))))
		got <- b
	}()
	start := time.Now()
	n, err := f.Write(data)
	require.NoError(t, err)
	assert.Equal(t, len(data), n)
	assert.GreaterOrEqual(t, time.Since(start), 140*time.Millisecond, "4 chunks, 3 waits of 50ms")
	assert.Len(t, <-got, len(data))

	// Reads are throttled the same way.
	_, err = peer.Write(data)
	require.NoError(t, err)
	start = time.Now()
	buf := make([]byte, len(data))
	_, err = io.ReadFull(f, buf)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 140*time.Millisecond)

	// A deadline ends a throttled wait.
	_, err = peer.Write(data)
	require.NoError(t, err)
	_, err = f.Read(buf) // first chunk at once, sets the next slot 50ms ahead
	require.NoError(t, err)
	require.NoError(t, f.SetReadDeadline(time.Now().Add(5*time.Millisecond)))
	_, err = f.Read(buf)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestFaultCorrupt(t *testing.T) {
	corrupted := func(seed int64) []byte {
		f, peer := faultPair(t, seed)
		f.Corrupt(5)
		want := bytes.Repeat([]byte{0x55}, 20)
		_, err := peer.Write(want)
		require.NoError(t, err)
		got := make([]byte, len(want))
		_, err = io.ReadFull(f, got)
		require.NoError(t, err)
		return got
	}
	got := corrupted(42)
	for i, b := range got {
		diff := b ^ 0x55
		if i < 5 {
			assert.Equal(t, 1, bitsSet(diff), "byte %d: exactly one bit flipped", i)
		} else {
			assert.Zero(t, diff, "byte %d: past the count, untouched", i)
		}
	}
	assert.Equal(t, got, corrupted(42), "the same seed flips the same bits")
	assert.NotEqual(t, got, corrupted(43), "another seed flips others")
}

func bitsSet(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// recordConn records the size of each Write that reaches it.
type recordConn struct {
	Conn
	mu     sync.Mutex
	writes []int
}

func (r *recordConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, len(p))
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func TestFaultSplitWrites(t *testing.T) {
	split := func(seed int64) ([]int, []byte) {
		a, b := NewPipe()
		rec := &recordConn{Conn: a}
		f := NewFaulty(rec, 1)
		defer f.Close()
		defer b.Close()
		f.SplitWrites(seed)
		msg := []byte("MSG foo 1 11\r\nhello world\r\n")
		n, err := f.Write(msg)
		require.NoError(t, err)
		require.Equal(t, len(msg), n)
		got := make([]byte, len(msg))
		_, err = io.ReadFull(b, got)
		require.NoError(t, err)
		assert.Equal(t, msg, got, "the pieces make up the write, in order")
		return rec.writes, got
	}
	pieces, _ := split(7)
	assert.GreaterOrEqual(t, len(pieces), 2, "a write reaches the inner conn in pieces: %v", pieces)
	again, _ := split(7)
	assert.Equal(t, pieces, again, "the same seed splits the same way")

	// Heal delivers writes whole again.
	a, b := NewPipe()
	rec := &recordConn{Conn: a}
	f := NewFaulty(rec, 1)
	defer f.Close()
	defer b.Close()
	f.SplitWrites(1)
	f.Heal()
	_, err := f.Write([]byte("whole"))
	require.NoError(t, err)
	assert.Equal(t, []int{5}, rec.writes)
}

func TestFaultClose(t *testing.T) {
	f, _ := faultPair(t, 1)
	f.Delay(time.Hour)
	writeErr := make(chan error, 1)
	go func() { _, err := f.Write([]byte("x")); writeErr <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, f.Close())
	select {
	case err := <-writeErr:
		assert.ErrorIs(t, err, net.ErrClosed, "Close ends a delayed Write")
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the delayed Write")
	}
	assert.ErrorIs(t, f.Close(), net.ErrClosed)
	_, err := f.Read(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
}

func TestFaultDialer(t *testing.T) {
	var peers []Conn
	var mu sync.Mutex
	inner := DialFunc(func(ctx context.Context, addr Addr) (Conn, error) {
		a, b := NewPipe()
		mu.Lock()
		peers = append(peers, b)
		mu.Unlock()
		return a, nil
	})
	t.Cleanup(func() {
		for _, p := range peers {
			p.Close()
		}
	})
	d := NewFaultDialer(inner, 100)
	addr, err := ParseAddr("nats://user:secret@127.0.0.1:4222")
	require.NoError(t, err)

	var hooked []*FaultConn
	d.OnDial(func(fc *FaultConn) { hooked = append(hooked, fc); fc.Blackhole() })
	c1, err := d.Dial(context.Background(), addr)
	require.NoError(t, err)
	defer c1.Close()
	fc1, err := d.Next(context.Background())
	require.NoError(t, err)
	assert.Same(t, c1, Conn(fc1))
	assert.Equal(t, []*FaultConn{fc1}, hooked)
	_, err = readWithin(c1, 20*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "OnDial set the blackhole before Dial returned")

	// Next waits for the next dial.
	next := make(chan *FaultConn, 1)
	go func() {
		fc, err := d.Next(context.Background())
		assert.NoError(t, err)
		next <- fc
	}()
	d.OnDial(nil)
	c2, err := d.Dial(context.Background(), addr)
	require.NoError(t, err)
	defer c2.Close()
	select {
	case fc := <-next:
		assert.Same(t, c2, Conn(fc))
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return the new connection")
	}
	assert.Len(t, d.Conns(), 2)

	// Connections get consecutive seeds: the same dial order replays the same faults.
	assert.Equal(t, NewFaulty(nil, 101).rng.Uint64(), d.Conns()[1].rng.Uint64())

	d.FailDials(ErrDialRefused)
	_, err = d.Dial(context.Background(), addr)
	assert.ErrorIs(t, err, ErrDialRefused)
	assert.NotContains(t, err.Error(), "secret")
	d.FailDials(nil)
	c3, err := d.Dial(context.Background(), addr)
	require.NoError(t, err)
	c3.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, _ = d.Next(ctx) // c3
	_, err = d.Next(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	inner2 := DialFunc(func(context.Context, Addr) (Conn, error) { return nil, errors.New("boom") })
	_, err = NewFaultDialer(inner2, 0).Dial(context.Background(), addr)
	assert.EqualError(t, err, "boom")
}

// A healthy FaultConn costs no allocation: users may leave it in place.
func TestFaultHealthyZeroAlloc(t *testing.T) {
	f, peer := faultPair(t, 1)
	msg := []byte("PUB foo 5\r\nhello\r\n")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = f.Write(msg)
		_, _ = peer.Read(buf)
		_, _ = peer.Write(msg)
		_, _ = f.Read(buf)
	})
	assert.Zero(t, allocs)
}
