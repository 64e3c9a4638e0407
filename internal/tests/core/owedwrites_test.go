package core_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
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

// The writes the reader owes (PONGs to server PINGs, replies from borrowed
// handlers) must go out while a stream keeps the reader busy, not only when
// the stream pauses. The fakes below stream without a pause and in writes
// that do not end at op boundaries, so every read the client makes ends
// inside an op.

// midOpConn makes every read the client does end inside an op while hold
// is set: it returns only what comes before the last '\n' it has, and
// keeps that '\n' and what follows for the next Read. Every op ends with a
// '\n' (the fakes' payloads have none), so the client always holds the
// start of an op it cannot finish without reading again: the input of a
// stream whose segments never line up with ops, made certain.
//
// It also tells wrote what the client writes, and when it hands it over: the
// tests time the client there, not where the fake's goroutines, which
// compete with the busy client for the processors, get to read it.
type midOpConn struct {
	transport.Conn
	n     int // which connection, from 0
	hold  atomic.Bool
	buf   []byte // read from the connection, not returned yet (reader goroutine only)
	wrote func(n int, p []byte, at time.Time)
}

func (c *midOpConn) Write(p []byte) (int, error) {
	if c.wrote != nil {
		c.wrote(c.n, p, time.Now())
	}
	return c.Conn.Write(p)
}

func (c *midOpConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if !c.hold.Load() {
			if len(c.buf) > 0 {
				n := copy(p, c.buf)
				c.buf = append(c.buf[:0], c.buf[n:]...)
				return n, nil
			}
			return c.Conn.Read(p)
		}
		lim := min(len(p), len(c.buf))
		if k := bytes.LastIndexByte(c.buf[:lim], '\n'); k > 0 {
			n := copy(p, c.buf[:k])
			c.buf = append(c.buf[:0], c.buf[k:]...)
			return n, nil
		}
		if lim == len(p) && lim > 1 { // p is too small to reach a '\n'
			n := copy(p[:lim-1], c.buf)
			c.buf = append(c.buf[:0], c.buf[n:]...)
			return n, nil
		}
		var fresh [4096]byte
		n, err := c.Conn.Read(fresh[:])
		c.buf = append(c.buf, fresh[:n]...)
		if err != nil {
			return 0, err
		}
	}
}

// holdMidOp wraps each connection of srv in a midOpConn, listed in conns.
func holdMidOp(srv *pipeServer, wrote func(n int, p []byte, at time.Time)) *[]*midOpConn {
	var conns []*midOpConn
	srv.wrap = func(n int, c transport.Conn) transport.Conn {
		m := &midOpConn{Conn: c, n: n, wrote: wrote}
		conns = append(conns, m)
		return m
	}
	return &conns
}

// sids records the sid of each subject each connection subscribes to.
type sids struct {
	mu sync.Mutex
	m  map[string]uint64
}

func (s *sids) note(p *pipePeer, op *codec.ClientOp) {
	if op.Kind != codec.OpSub {
		return
	}
	sid, _ := codec.ParseSID(op.SID)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]uint64{}
	}
	s.m[strconv.Itoa(p.n)+" "+string(op.Subject)] = sid
	s.mu.Unlock()
}

func (s *sids) get(p *pipePeer, subject string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[strconv.Itoa(p.n)+" "+subject]
}

// stream writes chunk to p without a pause until d passed or the connection
// ended, calling between(now) between chunks so a test can slip in ops of
// its own at op boundaries. Chunks of 25-byte MSGs make the pipe's reads end
// inside an op.
func stream(p *pipePeer, chunk []byte, d time.Duration, between func(time.Time) error) {
	end := time.Now().Add(d)
	for {
		now := time.Now()
		if now.After(end) {
			return
		}
		if between != nil && between(now) != nil {
			return
		}
		if p.write(chunk) != nil {
			return
		}
	}
}

// Each PING the server slips into a continuous flood is answered within
// 10 ms.
func TestOwedPongUnderFlood(t *testing.T) {
	const floodFor = 300 * time.Millisecond
	srv := newPipeServer(t)
	// Small pipes: what the client has not read yet delays each PING or
	// request by the time it takes to read, which is not what is measured.
	srv.buffer = 4 << 10
	var subs sids
	var mu sync.Mutex
	var pings, pongs []time.Time
	start := make(chan struct{})
	srv.onOp = func(p *pipePeer, op *codec.ClientOp) { subs.note(p, op) }
	srv.onConnect = func(p *pipePeer) {
		select {
		case <-start:
		case <-p.done:
			return
		}
		chunk := floodChunk("flood", subs.get(p, "flood"), 256)
		ping := codec.AppendPing(nil)
		var last time.Time
		stream(p, chunk, floodFor, func(now time.Time) error {
			if now.Sub(last) < time.Millisecond {
				return nil
			}
			last = now
			mu.Lock()
			pings = append(pings, now)
			mu.Unlock()
			return p.write(ping)
		})
	}
	conns := holdMidOp(srv, func(_ int, p []byte, at time.Time) {
		if k := bytes.Count(p, []byte("PONG\r\n")); k > 0 {
			mu.Lock()
			for range k {
				pongs = append(pongs, at)
			}
			mu.Unlock()
		}
	})
	log := newSessionLog()
	nc := srv.connect(t, log.option())
	var got atomic.Int64
	_, err := nc.SubscribeBorrowed("flood", func(*core.BorrowedMsg) { got.Add(1) })
	require.NoError(t, err)
	flush(t, nc)
	(*conns)[0].hold.Store(true)
	close(start)

	var sent int
	eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		sent = len(pings)
		return sent > 0 && len(pongs) == sent && time.Since(pings[0]) > floodFor
	}, "PONGs missing")
	mu.Lock()
	lat := make([]time.Duration, len(pings))
	for i := range pings {
		lat[i] = pongs[i].Sub(pings[i])
	}
	mu.Unlock()
	slices.Sort(lat)
	t.Logf("%d PINGs in a flood of %d messages; PONG after p50 %v, p99 %v, max %v",
		len(lat), got.Load(), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	assert.Less(t, lat[len(lat)-1], 10*time.Millisecond, "a PONG waited")
	assert.Zero(t, log.count(core.EventDisconnected))
}

// 100 000 PINGs in one burst, from a server that reads normally, are all
// answered; the session does not end as stale.
func TestOwedPongBurst(t *testing.T) {
	const n = 100000
	srv := newPipeServer(t)
	var pongs atomic.Int64
	srv.onOp = func(p *pipePeer, op *codec.ClientOp) {
		if op.Kind == codec.OpPong {
			pongs.Add(1)
		}
	}
	start := make(chan struct{})
	srv.onConnect = func(p *pipePeer) {
		select {
		case <-start:
		case <-p.done:
			return
		}
		burst := make([]byte, 0, 6*n)
		for range n {
			burst = codec.AppendPing(burst)
		}
		_ = p.write(burst)
	}
	log := newSessionLog()
	nc := srv.connect(t, log.option())
	close(start)
	eventually(t, 20*time.Second, func() bool { return pongs.Load() == n || log.count(core.EventDisconnected) > 0 },
		"PONGs: %d of %d", pongs.Load(), n)
	assert.Zero(t, log.count(core.EventDisconnected), "the burst ended the session: %v", kinds(log.all()))
	assert.EqualValues(t, n, pongs.Load())
	assert.Equal(t, core.StatusConnected, nc.Status())
	flush(t, nc)
}

// percentile returns the p-th percentile (0-100) of d, sorting it.
func percentile(d []time.Duration, p int) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
}

// Two Conns receive the same continuous flood, and requests slipped into
// it: one answers with a borrowed handler (replies the reader owes), the
// other with an owned one. The borrowed replies come back no slower than
// twice the owned ones at p99. Separate Conns, so that an owned reply's
// write does not carry the borrowed replies out with it; the same run, so
// the load on the machine hits both alike.
func TestOwedBorrowedReplyUnderFlood(t *testing.T) {
	const floodFor = 500 * time.Millisecond
	srv := newPipeServer(t)
	srv.buffer = 4 << 10
	var subs sids
	var mu sync.Mutex
	sent := map[string]time.Time{}
	lat := [2][]time.Duration{} // by connection: 0 borrowed, 1 owned
	srv.onOp = func(p *pipePeer, op *codec.ClientOp) { subs.note(p, op) }
	start := make(chan struct{})
	var streaming sync.WaitGroup
	streaming.Add(2)
	srv.onConnect = func(p *pipePeer) {
		defer streaming.Done()
		select {
		case <-start:
		case <-p.done:
			return
		}
		chunk := floodChunk("flood", subs.get(p, "flood"), 256)
		var last time.Time
		var i int
		var req []byte
		stream(p, chunk, floodFor, func(now time.Time) error {
			if now.Sub(last) < time.Millisecond {
				return nil
			}
			last = now
			reply := "reply." + strconv.Itoa(p.n) + "." + strconv.Itoa(i)
			i++
			req = codec.AppendMsg(req[:0], "svc", subs.get(p, "svc"), reply, []byte("ping"))
			mu.Lock()
			sent[reply] = now
			mu.Unlock()
			return p.write(req)
		})
	}
	conns := holdMidOp(srv, func(n int, p []byte, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		for {
			i := bytes.Index(p, []byte("PUB reply."))
			if i < 0 {
				return
			}
			p = p[i+4:]
			subject := p[:bytes.IndexByte(p, ' ')]
			if sentAt, ok := sent[string(subject)]; ok {
				lat[n] = append(lat[n], at.Sub(sentAt))
			}
		}
	})
	borrowedConn, ownedConn := srv.connect(t), srv.connect(t)
	for _, nc := range []*core.Conn{borrowedConn, ownedConn} {
		_, err := nc.SubscribeBorrowed("flood", func(*core.BorrowedMsg) {})
		require.NoError(t, err)
	}
	_, err := borrowedConn.SubscribeBorrowed("svc", func(m *core.BorrowedMsg) { _ = m.Respond([]byte("pong")) })
	require.NoError(t, err)
	_, err = ownedConn.Subscribe("svc", func(m *core.Msg) { _ = m.Respond([]byte("pong")) })
	require.NoError(t, err)
	flush(t, borrowedConn)
	flush(t, ownedConn)
	for _, c := range *conns {
		c.hold.Store(true)
	}
	close(start)

	streaming.Wait()
	eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lat[0])+len(lat[1]) == len(sent)
	}, "replies missing")
	mu.Lock()
	defer mu.Unlock()
	borrowed, owned := lat[0], lat[1]
	require.NotEmpty(t, borrowed)
	require.NotEmpty(t, owned)
	pb, po := percentile(borrowed, 99), percentile(owned, 99)
	t.Logf("%d requests; reply p50/p99: borrowed %v/%v, owned %v/%v", len(sent),
		percentile(borrowed, 50), pb, percentile(owned, 50), po)
	assert.LessOrEqual(t, pb, 2*po, "borrowed replies held back")
	// The owned handlers wait for the scheduler (their goroutines are woken
	// by readers that never block), which makes the ratio lenient; the
	// reader writes what it owes within maxOwedOps ops, so a bound of its
	// own holds as well. On the median: the tail on a loaded machine is the
	// operating system's.
	assert.Less(t, percentile(borrowed, 50), 5*time.Millisecond, "borrowed replies held back")
}

// Against a real server: requests to a borrowed responder whose Conn also
// receives a flood are answered with a p50 within 1.5 times that of an owned
// responder on the same Conn. Both are measured in the same run,
// alternating, so load on the machine hits both alike.
func TestOwedReplyLatencyRealServer(t *testing.T) {
	const samples = 600
	s := harness.RunServer(t)
	resp := connect(t, s.ClientURL())
	_, err := resp.SubscribeBorrowed("flood", func(*core.BorrowedMsg) {})
	require.NoError(t, err)
	_, err = resp.SubscribeBorrowed("svc.borrowed", func(m *core.BorrowedMsg) { _ = m.Respond([]byte("pong")) })
	require.NoError(t, err)
	_, err = resp.Subscribe("svc.owned", func(m *core.Msg) { _ = m.Respond([]byte("pong")) })
	require.NoError(t, err)
	flush(t, resp)

	flooder := connect(t, s.ClientURL())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Publish waits when the write buffer is full, so the flood runs at
		// what the server takes, without a pause.
		data := []byte("flooding")
		for ctx.Err() == nil {
			_ = flooder.Publish("flood", data)
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	req := connect(t, s.ClientURL())
	var borrowed, owned []time.Duration
	for i := range 2 * samples {
		subject := "svc.owned"
		if i%2 == 0 {
			subject = "svc.borrowed"
		}
		start := time.Now()
		_, err := req.Request(testCtx(t, 5*time.Second), subject, []byte("ping"))
		require.NoError(t, err, "request %d", i)
		if d := time.Since(start); i%2 == 0 {
			borrowed = append(borrowed, d)
		} else {
			owned = append(owned, d)
		}
	}
	pb, po := percentile(borrowed, 50), percentile(owned, 50)
	t.Logf("request p50/p99: borrowed %v/%v, owned %v/%v", pb, percentile(borrowed, 99), po, percentile(owned, 99))
	assert.LessOrEqual(t, float64(pb), 1.5*float64(po), fmt.Sprintf("borrowed p50 %v vs owned %v", pb, po))
}
