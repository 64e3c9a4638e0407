package core_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

var errHalfWrite = errors.New("test: write failed half-way")

// halfWriteConn fails one write half-way: the write that would take the
// total past failAt hands the first half of its bytes to the connection and
// returns an error, as a socket that broke mid-write does. Every later write
// fails without taking a byte and is counted, so a test sees a client that
// keeps writing to a dead socket.
type halfWriteConn struct {
	transport.Conn
	failAt int

	mu      sync.Mutex
	written int
	failed  bool
	after   int
}

func (c *halfWriteConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed {
		c.after++
		return 0, errHalfWrite
	}
	if c.written+len(p) > c.failAt && len(p) > 1 {
		c.failed = true
		n, _ := c.Conn.Write(p[:len(p)/2])
		c.written += n
		return n, errHalfWrite
	}
	n, err := c.Conn.Write(p)
	c.written += n
	return n, err
}

func (c *halfWriteConn) state() (failed bool, after int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed, c.after
}

// spin busies the calling goroutine for d: a borrowed handler that works,
// rather than sleeps, holds the reader the way a real one does.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// floodChunk returns n MSG ops for sid on subject, written together.
func floodChunk(subject string, sid uint64, n int) []byte {
	var b []byte
	for range n {
		b = codec.AppendMsg(b, subject, sid, "", []byte("flooding"))
	}
	return b
}

// A write fails half-way while the reader is held by a flood to a slow
// borrowed handler (20 µs a message), so the reader notices the dead session
// long after the writer did. Every publish Publish accepted must reach the
// next session, and none twice: the writer stops at the first error, keeps
// every byte after the last one the socket took, and resends the op the
// failure cut, whole. Counted at a fake server over pipes, which receives
// exactly the bytes the client handed over; repeated with the fault at
// different places.
func TestWriteFailureKeepsEveryPublish(t *testing.T) {
	runs := 50
	if raceEnabled {
		runs = 10
	}
	for i := range runs {
		if !t.Run(fmt.Sprint(i), func(t *testing.T) { writeFailureRun(t, uint64(i)) }) {
			break
		}
	}
}

func writeFailureRun(t *testing.T, seed uint64) {
	const n = 10000
	const opSize = len("PUB seq 8\r\n") + 8 + 2
	rng := rand.New(rand.NewPCG(seed, 0x77726974))
	failAt := n * opSize * (20 + rng.IntN(40)) / 100

	srv := newPipeServer(t)
	// The reader takes what the pipe holds at 20 µs a message before it
	// sees the session end: 16 KiB is about 13 ms, long enough for the
	// publisher to fill several batches.
	srv.buffer = 16 << 10
	var fault *halfWriteConn
	srv.wrap = func(k int, c transport.Conn) transport.Conn {
		if k != 0 {
			return c
		}
		fault = &halfWriteConn{Conn: c, failAt: failAt}
		return fault
	}
	counts := make([]atomic.Int32, n)
	var floodSID atomic.Uint64
	start := make(chan struct{})
	srv.onOp = func(p *pipePeer, op *codec.ClientOp) {
		switch op.Kind {
		case codec.OpSub:
			if string(op.Subject) == "flood" {
				sid, _ := codec.ParseSID(op.SID)
				floodSID.Store(sid)
			}
		case codec.OpPub:
			if string(op.Subject) == "seq" && len(op.Payload) == 8 {
				if seq := binary.BigEndian.Uint64(op.Payload); seq < n {
					counts[seq].Add(1)
				}
			}
		}
	}
	// Only the first session is flooded: the one whose write fails.
	srv.onConnect = func(p *pipePeer) {
		if p.n != 0 {
			return
		}
		select {
		case <-start:
		case <-p.done:
			return
		}
		chunk := floodChunk("flood", floodSID.Load(), 512)
		for p.write(chunk) == nil {
		}
	}

	nc := srv.connect(t, core.WithReconnectWait(time.Millisecond, 5*time.Millisecond), core.WithMaxReconnects(-1))
	var floods atomic.Int64
	_, err := nc.SubscribeBorrowed("flood", func(*core.BorrowedMsg) {
		floods.Add(1)
		spin(20 * time.Microsecond)
	})
	require.NoError(t, err)
	flush(t, nc)
	close(start)

	accepted := make([]bool, n)
	var refused int
	var buf [8]byte
	for i := range n {
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		switch err := nc.Publish("seq", buf[:]); {
		case err == nil:
			accepted[i] = true
		case errors.Is(err, core.ErrReconnectBufferExceeded):
			refused++
		default:
			require.NoError(t, err)
		}
	}
	ctx := testCtx(t, 20*time.Second)
	require.NoError(t, nc.Flush(ctx), "flush after the fault")
	// The Flush went through the new session; the old one's server side may
	// still be reading what its socket took before the fault (up to the
	// pipe's 16 KiB). Count only once it has read to the end.
	srv.mu.Lock()
	first := srv.peers[0]
	srv.mu.Unlock()
	select {
	case <-first.done:
	case <-ctx.Done():
		t.Fatal("the first session's server side never finished reading")
	}

	failed, after := fault.state()
	require.True(t, failed, "the fault never fired (fail at byte %d)", failAt)
	assert.Zero(t, after, "writes to the socket after its write failed")
	var lost, twice, ghosts []int
	for i := range n {
		switch c := counts[i].Load(); {
		case accepted[i] && c == 0:
			lost = append(lost, i)
		case c > 1:
			twice = append(twice, i)
		case !accepted[i] && c != 0:
			ghosts = append(ghosts, i)
		}
	}
	t.Logf("fault at byte %d; %d flood messages handled; %d refused", failAt, floods.Load(), refused)
	assert.Empty(t, summary(lost), "accepted publishes that never arrived")
	assert.Empty(t, summary(twice), "publishes that arrived more than once")
	assert.Empty(t, summary(ghosts), "refused publishes that arrived")
}

// summary shortens a list of sequence numbers for a failure message.
func summary(seqs []int) string {
	switch {
	case len(seqs) == 0:
		return ""
	case len(seqs) <= 8:
		return fmt.Sprint(seqs)
	}
	return fmt.Sprintf("%d of them, from %d to %d: %v…", len(seqs), seqs[0], seqs[len(seqs)-1], seqs[:8])
}

// tapDialer dials with transport's dialer and keeps, per connection, a copy
// of the bytes each socket took (what Write reported written), so a test
// knows which ops were handed to the kernel before a server died.
type tapDialer struct {
	inner transport.Dialer
	mu    sync.Mutex
	taken [][]byte
}

func (d *tapDialer) Dial(ctx context.Context, addr transport.Addr) (transport.Conn, error) {
	c, err := d.inner.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.taken = append(d.taken, nil)
	return &tapConn{Conn: c, d: d, i: len(d.taken) - 1}, nil
}

// seqsTaken returns the sequence numbers of the "seq" publishes that the
// i-th connection's socket took whole.
func (d *tapDialer) seqsTaken(t testing.TB, i int, subject string) []uint64 {
	t.Helper()
	d.mu.Lock()
	b := append([]byte(nil), d.taken[i]...)
	d.mu.Unlock()
	r := codec.NewClientReader(bytes.NewReader(b), codec.Limits{})
	defer r.Release()
	var seqs []uint64
	for {
		op, err := r.Next()
		if err != nil {
			return seqs // io.EOF, or the op the socket took only part of
		}
		if op.Kind == codec.OpPub && string(op.Subject) == subject {
			seqs = append(seqs, binary.BigEndian.Uint64(op.Payload))
		}
	}
}

type tapConn struct {
	transport.Conn
	d *tapDialer
	i int
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.d.mu.Lock()
	c.d.taken[c.i] = append(c.d.taken[c.i], p[:n]...)
	c.d.mu.Unlock()
	return n, err
}

// A real nats-server process is killed (SIGKILL) in the middle of a publish
// stream, while the publishing Conn's reader is held by a flood to a slow
// borrowed handler (and, at the kill, by one message that takes 50 ms),
// then restarted. The publishes come back to the same
// Conn (echo), counted by sequence number.
//
// What a kill allows: bytes the kernel took before the server died are in
// doubt (the server may have read and delivered them, or not), and no client
// can know which. So the test asserts what must hold anyway: no publish
// arrives twice; every accepted publish the dead socket did not take whole
// arrives; and what is lost is one contiguous run ending at the last publish
// that socket took (the ones the server had not delivered when it died).
func TestWriteFailureServerKilled(t *testing.T) {
	const n = 200000 // at most; the stream ends 5000 publishes after the disconnection
	const subject = "kill.seq"
	s := harness.RunServer(t, harness.WithProcess())
	tap := &tapDialer{inner: transport.NewDialer()}
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option(), core.WithDialer(tap))...)
	counts := make([]atomic.Int32, n)
	_, err := nc.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) {
		if seq := binary.BigEndian.Uint64(m.Data); seq < n {
			counts[seq].Add(1)
		}
	})
	require.NoError(t, err)
	// The kill comes while one flood message holds the reader (a handler
	// slower than the rest), so the writer meets the dead socket first and
	// the reader notices only later: the case where a writer that went on
	// writing lost publishes.
	var holdNext atomic.Bool
	holding, release := make(chan struct{}), make(chan struct{})
	_, err = nc.SubscribeBorrowed("kill.flood", func(*core.BorrowedMsg) {
		if holdNext.CompareAndSwap(true, false) {
			close(holding)
			<-release
		}
		spin(20 * time.Microsecond)
	})
	require.NoError(t, err)
	flush(t, nc)

	// The flood comes from another Conn, at about what the slow handler
	// takes, so the reader always has messages buffered.
	flooder := connect(t, s.ClientURL(), fastReconnect()...)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		data := []byte("flooding")
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 50 {
				_ = flooder.Publish("kill.flood", data)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	// The kill comes from another goroutine, so the stream goes on while
	// the server dies and the socket breaks.
	var published atomic.Int64
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for published.Load() < 20000 {
			time.Sleep(100 * time.Microsecond)
		}
		holdNext.Store(true)
		select {
		case <-holding:
		case <-time.After(5 * time.Second):
			holdNext.Store(false)
		}
		s.Kill()
		time.Sleep(50 * time.Millisecond)
		close(release)
		s.Restart()
	}()
	accepted := make([]bool, n)
	afterDisconnect := n // first seq published once the disconnection was seen
	var buf [8]byte
	for i := range n {
		if i > afterDisconnect+5000 {
			break
		}
		published.Store(int64(i))
		if afterDisconnect == n && log.count(core.EventDisconnected) > 0 {
			afterDisconnect = i
		}
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		switch err := nc.Publish(subject, buf[:]); {
		case err == nil:
			accepted[i] = true
		case errors.Is(err, core.ErrReconnectBufferExceeded):
		default:
			require.NoError(t, err)
		}
		if i%200 == 0 {
			time.Sleep(100 * time.Microsecond) // a stream, not one burst
		}
	}
	<-killed
	log.waitN(t, core.EventReconnected, 1, 20*time.Second)
	require.NoError(t, nc.Flush(testCtx(t, 20*time.Second)))

	inDoubt := map[uint64]bool{}
	for _, seq := range tap.seqsTaken(t, 0, subject) {
		inDoubt[seq] = true
	}
	var lost, twice, notTaken []int
	for i := range n {
		c := counts[i].Load()
		if c > 1 {
			twice = append(twice, i)
		}
		if accepted[i] && c == 0 {
			lost = append(lost, i)
			if !inDoubt[uint64(i)] {
				notTaken = append(notTaken, i)
			}
		}
	}
	t.Logf("disconnection seen at seq %d; %d publishes taken by the killed socket; %d lost: %s",
		afterDisconnect, len(inDoubt), len(lost), summary(lost))
	assert.Empty(t, summary(twice), "publishes that arrived more than once")
	assert.Empty(t, summary(notTaken), "lost publishes that the killed socket never took")
	if len(lost) > 0 {
		assert.Equal(t, len(lost), lost[len(lost)-1]-lost[0]+1, "the lost publishes are not one run")
		last := -1
		for seq := range inDoubt {
			last = max(last, int(seq))
		}
		assert.Equal(t, last, lost[len(lost)-1], "the lost run does not end at the last publish the killed socket took")
	}
	assert.Less(t, afterDisconnect, n, "the stream ended before the disconnection was seen")
}
