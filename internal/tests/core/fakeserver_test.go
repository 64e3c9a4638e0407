package core_test

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// fakeServer is a scripted NATS server for the hostile-input tests, and only
// for them: every other test talks to a real nats-server through harness.
// It is built on codec alone. The n-th connection it accepts runs the n-th
// script, step by step, on a goroutine of its own; connections beyond the
// scripts are closed at once, which is how a test refuses a reconnect.
// Another goroutine per connection decodes what the client sends
// (codec.ClientReader) and hands the ops to the script; it answers PINGs
// only once a step turned that on, so a script decides whether PONGs come.
//
// Close (registered with t.Cleanup) closes the listener and every
// connection and waits for all the goroutines, so goleak stays quiet.
type fakeServer struct {
	t       testing.TB
	ln      net.Listener
	scripts [][]step
	// bad receives the time just before each sendBad, streamBad or
	// trickleBad step began to write (or expectBad saw the client's op):
	// the moment the client could first meet the hostile behaviour.
	bad chan time.Time

	closing chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	conns    []*fakeConn
	accepted int
}

// step is one action of a script. An error ends the script (usually a
// write to a client that hung up, which is what hostile bytes are for).
type step func(*fakeConn) error

// script makes a script of steps, for readability at call sites.
func script(steps ...step) []step { return steps }

func newFakeServer(t testing.TB, scripts ...[]step) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &fakeServer{t: t, ln: ln, scripts: scripts, bad: make(chan time.Time, 16), closing: make(chan struct{})}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

// URL is the nats:// URL clients dial.
func (s *fakeServer) URL() string { return "nats://" + s.ln.Addr().String() }

// port is the listener's port, for the INFO the fake sends.
func (s *fakeServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Accepted returns how many connections the fake accepted so far, refused
// ones included.
func (s *fakeServer) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// badAt returns when the hostile behaviour began, failing the test when
// the script never got there.
func (s *fakeServer) badAt(t testing.TB) time.Time {
	t.Helper()
	select {
	case at := <-s.bad:
		return at
	case <-time.After(5 * time.Second):
		t.Fatalf("fake server never wrote its hostile bytes")
		return time.Time{}
	}
}

func (s *fakeServer) markBad() {
	select {
	case s.bad <- time.Now():
	default:
	}
}

// Close stops the fake: no more connections, every open one closed, every
// goroutine finished. It is safe to call more than once.
func (s *fakeServer) Close() {
	s.mu.Lock()
	select {
	case <-s.closing:
	default:
		close(s.closing)
	}
	_ = s.ln.Close()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
}

func (s *fakeServer) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		i := s.accepted
		s.accepted++
		select {
		case <-s.closing:
			s.mu.Unlock()
			_ = nc.Close()
			return
		default:
		}
		if i >= len(s.scripts) {
			s.mu.Unlock()
			_ = nc.Close() // refused
			continue
		}
		c := &fakeConn{srv: s, nc: nc, ops: make(chan fakeOp, 1024), closed: make(chan struct{})}
		s.conns = append(s.conns, c)
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.run(s.scripts[i])
	}
}

// fakeConn is one client connection of the fake server.
type fakeConn struct {
	srv *fakeServer
	nc  net.Conn
	// wmu keeps each step's write whole: an automatic PONG waits for a
	// trickle to end rather than landing inside the op being trickled.
	wmu      sync.Mutex
	ops      chan fakeOp
	autoPong atomic.Bool
	// stopRead makes readLoop stop after the current op (stopReading).
	stopRead  atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

// fakeOp is a copy of one op the client sent.
type fakeOp struct {
	Kind                       codec.OpKind
	Subject, Queue, SID, Reply string
	Text                       string
	Payload                    []byte
}

func (c *fakeConn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.nc.Close()
	})
}

func (c *fakeConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// readLoop decodes the client's ops. Bytes the client should never send
// fail the test: the client is under test here too.
func (c *fakeConn) readLoop() {
	defer c.srv.wg.Done()
	defer c.close()
	r := codec.NewClientReader(c.nc, codec.Limits{})
	defer r.Release()
	for {
		op, err := r.Next()
		if err != nil {
			var pe *codec.ProtocolError
			if errors.As(err, &pe) {
				c.srv.t.Errorf("fake server: the client sent bad bytes: %v", err)
			}
			return
		}
		fo := fakeOp{Kind: op.Kind, Subject: string(op.Subject), Queue: string(op.Queue),
			SID: string(op.SID), Reply: string(op.Reply), Text: string(op.Text)}
		if op.Payload != nil {
			fo.Payload = append([]byte(nil), op.Payload...)
		}
		if op.Kind == codec.OpPing && c.autoPong.Load() {
			if c.write(codec.AppendPong(nil)) != nil {
				return
			}
		}
		select {
		case c.ops <- fo:
		case <-c.closed:
			return
		}
		if c.stopRead.Load() {
			<-c.closed
			return
		}
	}
}

func (c *fakeConn) run(steps []step) {
	defer c.srv.wg.Done()
	for _, st := range steps {
		if err := st(c); err != nil {
			return
		}
	}
}

var errFakeClosed = errors.New("fake server: connection closed")

// next returns the client's next op, or an error when the connection
// closes or nothing comes within 5 s (which fails the test).
func (c *fakeConn) next() (fakeOp, error) {
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case op := <-c.ops:
		return op, nil
	case <-c.closed:
		// Ops read before the close still count.
		select {
		case op := <-c.ops:
			return op, nil
		default:
			return fakeOp{}, errFakeClosed
		}
	case <-timer.C:
		c.srv.t.Errorf("fake server: the client sent nothing within 5s")
		return fakeOp{}, errFakeClosed
	}
}

// --- steps ---

// fakeInfo is the INFO a fake sends unless told otherwise: what a default
// nats-server 2.x announces.
func fakeInfo(port int) *codec.ServerInfo {
	return &codec.ServerInfo{
		ServerID: "NFAKESERVER", ServerName: "fake", Version: "2.15.2", Proto: 1,
		GoVersion: runtime.Version(), Host: "127.0.0.1", Port: port, Headers: true,
		MaxPayload: 1 << 20,
	}
}

// sendInfo writes INFO; edit (may be nil) changes the default first.
func sendInfo(edit func(*codec.ServerInfo)) step {
	return func(c *fakeConn) error {
		info := fakeInfo(c.srv.port())
		if edit != nil {
			edit(info)
		}
		return c.write(codec.AppendInfo(nil, info))
	}
}

// expect waits for an op of kind from the client, skipping others.
func expect(kind codec.OpKind) step {
	return func(c *fakeConn) error {
		for {
			op, err := c.next()
			if err != nil {
				return err
			}
			if op.Kind == kind {
				return nil
			}
		}
	}
}

// expectBad waits for an op of kind and marks it as the moment the hostile
// behaviour (silence, from then on) begins.
func expectBad(kind codec.OpKind) step {
	return func(c *fakeConn) error {
		if err := expect(kind)(c); err != nil {
			return err
		}
		c.srv.markBad()
		return nil
	}
}

// acceptConnect reads the client's CONNECT and PING and answers PONG;
// after it, PINGs are answered automatically (see noPongs).
func acceptConnect() step {
	return func(c *fakeConn) error {
		if err := expect(codec.OpConnect)(c); err != nil {
			return err
		}
		if err := expect(codec.OpPing)(c); err != nil {
			return err
		}
		c.autoPong.Store(true)
		return c.write(codec.AppendPong(nil))
	}
}

// handshake is INFO (edited by edit, which may be nil) and acceptConnect:
// the client's Connect returns after it.
func handshake(edit func(*codec.ServerInfo)) step {
	return func(c *fakeConn) error {
		if err := sendInfo(edit)(c); err != nil {
			return err
		}
		return acceptConnect()(c)
	}
}

// noPongs stops answering the client's PINGs.
func noPongs() step {
	return func(c *fakeConn) error { c.autoPong.Store(false); return nil }
}

// send writes b, well-formed bytes.
func send(b []byte) step {
	return func(c *fakeConn) error { return c.write(b) }
}

// sendBad writes b, the hostile bytes, and records when (see badAt).
func sendBad(b []byte) step {
	return func(c *fakeConn) error {
		c.srv.markBad()
		return c.write(b)
	}
}

// trickleBad writes b one byte at a time, every, marking the start.
func trickleBad(b []byte, every time.Duration) step {
	return func(c *fakeConn) error {
		c.srv.markBad()
		return trickle(c, b, every)
	}
}

// trickle writes b one byte per write, holding the write lock throughout
// so nothing lands inside it. every is the pause between bytes (0: none).
func trickle(c *fakeConn, b []byte, every time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for i := range b {
		if every > 0 && i > 0 {
			select {
			case <-time.After(every):
			case <-c.closed:
				return errFakeClosed
			}
		}
		if _, err := c.nc.Write(b[i : i+1]); err != nil {
			return err
		}
	}
	return nil
}

// fill is what streamed bytes are made of: no '\n', so no line ends.
var fill = func() []byte {
	b := make([]byte, 32<<10)
	for i := range b {
		b[i] = 'x'
	}
	return b
}()

// streamBad writes prefix, then filler bytes that never hold a '\n', until
// the client hangs up or limit bytes went out: a control line without end.
func streamBad(prefix []byte, limit int) step { return floodBad(prefix, fill, limit) }

// floodBad writes prefix, then chunk again and again, until the client
// hangs up or limit bytes went out (which fails the test: the client
// should have given up long before). It marks the start as the hostile
// moment.
func floodBad(prefix, chunk []byte, limit int) step {
	return func(c *fakeConn) error {
		c.srv.markBad()
		c.wmu.Lock()
		defer c.wmu.Unlock()
		if _, err := c.nc.Write(prefix); err != nil {
			return err
		}
		for sent := len(prefix); sent < limit; sent += len(chunk) {
			// A deadline, so a client that stopped reading without hanging
			// up ends the flood instead of blocking the fake forever.
			_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.nc.Write(chunk); err != nil {
				return err
			}
		}
		c.srv.t.Errorf("fake server: the client took %d bytes of a flood without hanging up", limit)
		return errFakeClosed
	}
}

// flood writes chunk until limit bytes are sent, for ops a client must take
// without hanging up (non-fatal -ERRs); the connection stays open.
func flood(chunk []byte, limit int) step {
	return func(c *fakeConn) error {
		c.srv.markBad()
		c.wmu.Lock()
		defer c.wmu.Unlock()
		for sent := 0; sent < limit; sent += len(chunk) {
			_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.nc.Write(chunk); err != nil {
				return err
			}
		}
		_ = c.nc.SetWriteDeadline(time.Time{})
		return nil
	}
}

// stopReading makes the fake stop reading what the client sends, once the
// op being read is done, so the client's writes back up.
func stopReading() step {
	return func(c *fakeConn) error { c.stopRead.Store(true); return nil }
}

// sendFill writes n filler bytes (a payload's worth).
func sendFill(n int) step {
	return func(c *fakeConn) error {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		for n > 0 {
			k := min(n, len(fill))
			if _, err := c.nc.Write(fill[:k]); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
}

// pause waits d, or until the connection closes.
func pause(d time.Duration) step {
	return func(c *fakeConn) error {
		select {
		case <-time.After(d):
			return nil
		case <-c.closed:
			return errFakeClosed
		}
	}
}

// hangUp closes the connection from the server's side.
func hangUp() step {
	return func(c *fakeConn) error { c.close(); return errFakeClosed }
}

// --- client side ---

// timedEvent is an event and when the handler got it.
type timedEvent struct {
	core.Event
	At time.Time
}

// eventTrace records a Conn's events with their arrival times, so a test
// can bound the time from the hostile bytes to the event.
type eventTrace struct {
	ch chan timedEvent
	mu sync.Mutex
	// all holds every event so far, in order.
	all []timedEvent
}

func newEventTrace() *eventTrace { return &eventTrace{ch: make(chan timedEvent, 1024)} }

func (e *eventTrace) option() core.Option {
	return core.WithEventHandler(func(ev core.Event) {
		te := timedEvent{Event: ev, At: time.Now()}
		e.mu.Lock()
		e.all = append(e.all, te)
		e.mu.Unlock()
		select {
		case e.ch <- te:
		default: // never with this buffer; the log keeps it anyway
		}
	})
}

// wait returns the next event of kind, skipping others, failing the test
// after d.
func (e *eventTrace) wait(t testing.TB, kind core.EventKind, d time.Duration) timedEvent {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-e.ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %v event within %v; events: %v", kind, d, e.kinds())
			return timedEvent{}
		}
	}
}

func (e *eventTrace) kinds() []core.EventKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]core.EventKind, len(e.all))
	for i, ev := range e.all {
		out[i] = ev.Kind
	}
	return out
}

func (e *eventTrace) count(kind core.EventKind) int {
	n := 0
	for _, k := range e.kinds() {
		if k == kind {
			n++
		}
	}
	return n
}

// heapMeter measures what a test case allocates. TotalAlloc counts every
// byte allocated in between, freed or not, so it is the strict measure; the
// hostile-input tests run one at a time (no t.Parallel) so that nothing
// else allocates meanwhile.
type heapMeter struct{ before runtime.MemStats }

// maxHostileHeap is issue 5's bound on what hostile bytes may cost.
const maxHostileHeap = 16 << 20

func startHeapMeter() *heapMeter {
	h := &heapMeter{}
	runtime.GC()
	runtime.ReadMemStats(&h.before)
	return h
}

// check asserts that less than maxHostileHeap was allocated since start
// and logs the growth (go test -v shows it).
func (h *heapMeter) check(t testing.TB) {
	t.Helper()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	total := after.TotalAlloc - h.before.TotalAlloc
	inuse := int64(after.HeapInuse) - int64(h.before.HeapInuse)
	t.Logf("heap: TotalAlloc +%d KiB, HeapInuse %+d KiB", total>>10, inuse>>10)
	assert.Less(t, total, uint64(maxHostileHeap), "allocated %d bytes", total)
}

// checkInUse asserts that the heap in use grew by less than maxHostileHeap
// since start: for floods, where every op allocates garbage the collector
// takes back, what must stay bounded is what is kept.
func (h *heapMeter) checkInUse(t testing.TB) {
	t.Helper()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	inuse := int64(after.HeapInuse) - int64(h.before.HeapInuse)
	t.Logf("heap: TotalAlloc +%d KiB, HeapInuse %+d KiB", (after.TotalAlloc-h.before.TotalAlloc)>>10, inuse>>10)
	assert.Less(t, inuse, int64(maxHostileHeap), "heap in use grew by %d bytes", inuse)
}
