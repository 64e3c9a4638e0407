package obj

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// orderedPull reads a filtered stream in order through an ephemeral pull
// consumer (ack none, memory, R1), recreated from the last stream sequence
// seen on a gap, a deleted consumer or silence: the ordered consumer of
// ADR-17 in its pull form. It runs no goroutine: the subscription handler
// (on the connection's reader) copies each message into a bounded queue
// and never blocks, and the caller's next pulls.
//
// Memory is bounded by construction: a pull is sent only while the
// messages requested and not yet delivered plus those queued fit in the
// queue, so the handler never finds it full from a well-behaved server.
// (If it does, the message is dropped and the gap makes a reset.)
type orderedPull struct {
	js     *js.JetStream
	nc     js.Conn
	stream string
	base   js.ConsumerConfig
	batch  int
	hb     time.Duration
	// limit is how many messages to read in all (0: no end); no pull asks
	// for more, so a finished Get leaves the server nothing to send.
	limit uint64

	inbox string
	sub   *core.Subscription
	state atomic.Pointer[pullState]
	queue chan delivery
	ctl   chan pullStatus
	free  chan *[]byte
	// activity is the unix-nano time of the last message or heartbeat.
	activity atomic.Int64
	overflow atomic.Bool
	// idle counts the current consumer's idle heartbeats since the last
	// message: the server has nothing for its pulls.
	idle atomic.Int32

	// Reader side, used only by next and reset.
	gen         uint32
	lastSSeq    uint64
	lastCSeq    uint64
	delivered   uint64
	outstanding int
	resets      int
	// tick paces the stall and missing-chunk checks; made once, reset
	// per next, stopped by close.
	tick *time.Ticker
	// initialPending is the consumer's num_pending when first created.
	initialPending uint64
}

type pullState struct {
	name string
	gen  uint32
}

type delivery struct {
	// buf owns the bytes (recycled when the reader is done with them);
	// data views them.
	buf                 *[]byte
	data                []byte
	gen                 uint32
	sseq, cseq, pending uint64
	stamp               time.Time
}

type pullStatus struct {
	gen     uint32
	status  int
	desc    string
	pending int
}

// maxResets bounds how many times one read recreates its consumer in a
// row without receiving a message.
const maxResets = 8

func newOrderedPull(ctx context.Context, j *js.JetStream, stream string, base js.ConsumerConfig, batch int, hb time.Duration, limit uint64) (*orderedPull, error) {
	p := &orderedPull{
		js: j, nc: j.Conn(), stream: stream, base: base, batch: batch, hb: hb, limit: limit,
		queue: make(chan delivery, 2*batch),
		ctl:   make(chan pullStatus, 16),
		free:  make(chan *[]byte, 2*batch+1),
	}
	// Each consumer's pulls reply to <inbox>.<gen>: a pull's end status
	// names the consumer it belongs to, so a late 408 of a replaced
	// consumer cannot be counted against its successor.
	p.inbox = p.nc.NewInbox()
	sub, err := p.nc.SubscribeBorrowed(p.inbox+".*", p.handle)
	if err != nil {
		return nil, err
	}
	p.sub = sub
	if err := p.create(ctx); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return p, nil
}

// create makes the consumer, starting after the last message delivered.
func (p *orderedPull) create(ctx context.Context) error {
	cfg := p.base
	cfg.AckPolicy = js.AckNone
	cfg.MaxDeliver = 1
	cfg.MemoryStorage = true
	cfg.Replicas = 1
	// The server drops a consumer nobody pulls from after this: the
	// backstop if a reader is abandoned or Close cannot reach the server.
	cfg.InactiveThreshold = 30 * time.Second
	if p.lastSSeq > 0 {
		cfg.DeliverPolicy = js.DeliverByStartSequence
		cfg.OptStartSeq = p.lastSSeq + 1
	}
	c, err := p.js.CreateConsumer(ctx, p.stream, cfg)
	if err != nil {
		return err
	}
	p.gen++
	p.state.Store(&pullState{name: c.Name(), gen: p.gen})
	ci := c.CachedInfo()
	if p.gen == 1 && ci != nil {
		p.initialPending = ci.NumPending
	}
	if p.limit > 0 && ci != nil && ci.NumPending < p.limit-p.delivered {
		p.deleteConsumer(ctx)
		return fmt.Errorf("%w: %d of the %d messages left are stored", errMissing, ci.NumPending, p.limit-p.delivered)
	}
	p.idle.Store(0)
	p.lastCSeq = 0
	p.outstanding = 0
	p.activity.Store(time.Now().UnixNano())
	return nil
}

// handle runs on the connection's reader: copy, queue, never block.
func (p *orderedPull) handle(m *core.BorrowedMsg) {
	p.activity.Store(time.Now().UnixNano())
	st := p.state.Load()
	if st == nil {
		return
	}
	if s := m.Status(); s != 0 {
		if !replyOfGen(m.Subject, len(p.inbox), st.gen) {
			return // a replaced consumer's heartbeat or pull end
		}
		if s == 100 {
			p.idle.Add(1)
			return
		}
		ps := pullStatus{gen: st.gen, status: s, desc: string(m.Description()), pending: -1}
		if v := m.Header.Get("Nats-Pending-Messages"); v != nil {
			if n, err := strconv.Atoi(string(v)); err == nil {
				ps.pending = n
			}
		}
		select {
		case p.ctl <- ps:
		default:
		}
		return
	}
	// The metadata's strings alias m.Reply, valid while this handler
	// runs; only numbers leave it.
	md, err := js.ParseMetadata(bytesView(m.Reply))
	if err != nil || md.Consumer != st.name {
		return // not ours, or a consumer already replaced
	}
	var bp *[]byte
	select {
	case bp = <-p.free:
	default:
		bp = getChunkBuf()
	}
	*bp = append((*bp)[:0], m.Data...)
	d := delivery{buf: bp, data: *bp, gen: st.gen, sseq: md.StreamSeq, cseq: md.ConsumerSeq, pending: md.NumPending, stamp: md.Timestamp}
	select {
	case p.queue <- d:
	default:
		p.overflow.Store(true)
	}
}

// bytesView is b as a string without a copy, for use while b is valid.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// replyOfGen reports whether subject is <inbox>.<gen>.
func replyOfGen(subject []byte, inboxLen int, gen uint32) bool {
	if len(subject) <= inboxLen+1 {
		return false
	}
	n, err := strconv.ParseUint(string(subject[inboxLen+1:]), 10, 32)
	return err == nil && uint32(n) == gen
}

type pullRequest struct {
	Batch     int           `json:"batch"`
	Expires   time.Duration `json:"expires"`
	Heartbeat time.Duration `json:"idle_heartbeat"`
}

// refill sends pulls while the queue has room for a whole batch beyond
// what is already asked for.
func (p *orderedPull) refill() error {
	st := p.state.Load()
	for p.outstanding+len(p.queue)+p.batch <= cap(p.queue) {
		n := p.batch
		if p.limit > 0 {
			left := int64(p.limit) - int64(p.delivered) - int64(p.outstanding) - int64(len(p.queue))
			if left <= 0 {
				return nil
			}
			if int64(n) > left {
				n = int(left)
			}
		}
		body, _ := json.Marshal(pullRequest{Batch: n, Expires: 10 * p.hb, Heartbeat: p.hb})
		subj := p.js.APIPrefix() + ".CONSUMER.MSG.NEXT." + p.stream + "." + st.name
		if err := p.nc.PublishRequest(subj, p.inbox+"."+strconv.FormatUint(uint64(st.gen), 10), body); err != nil {
			return err
		}
		p.outstanding += n
	}
	return nil
}

// next returns the next message in stream order.
func (p *orderedPull) next(ctx context.Context) (delivery, error) {
	entered := time.Now().UnixNano()
	if p.tick == nil {
		p.tick = time.NewTicker(p.hb)
	} else {
		p.tick.Reset(p.hb)
	}
	for {
		if p.overflow.Swap(false) {
			if err := p.reset(ctx, nil); err != nil {
				return delivery{}, err
			}
		}
		if err := p.refill(); err != nil {
			return delivery{}, err
		}
		select {
		case d := <-p.queue:
			if d.gen != p.gen {
				p.recycle(d.buf)
				continue
			}
			if p.outstanding > 0 {
				p.outstanding--
			}
			if d.cseq != p.lastCSeq+1 {
				p.recycle(d.buf)
				if err := p.reset(ctx, nil); err != nil {
					return delivery{}, err
				}
				continue
			}
			p.lastCSeq, p.lastSSeq = d.cseq, d.sseq
			p.delivered++
			p.idle.Store(0)
			p.resets = 0
			return d, nil
		case s := <-p.ctl:
			if s.gen != p.gen {
				continue
			}
			if err := p.status(ctx, s); err != nil {
				return delivery{}, err
			}
		case <-p.tick.C:
			if err := p.checkMissing(ctx); err != nil {
				return delivery{}, err
			}
			last := max(p.activity.Load(), entered)
			if time.Duration(time.Now().UnixNano()-last) > 3*p.hb {
				if err := p.reset(ctx, ErrReaderStalled); err != nil {
					return delivery{}, err
				}
				entered = time.Now().UnixNano()
			}
		case <-ctx.Done():
			return delivery{}, ctx.Err()
		}
	}
}

// errMissing: a bounded read's consumer has fewer messages than the
// read still expects (the object's chunks were purged or replaced).
var errMissing = errors.New("obj: stored messages missing")

// checkMissing ends a bounded read whose server says there is nothing
// left to send: idle heartbeats while more is expected, confirmed by the
// consumer's pending count. Without it such a read would wait, fed by
// heartbeats, until its context ended.
func (p *orderedPull) checkMissing(ctx context.Context) error {
	if p.limit == 0 || p.idle.Load() < 2 || len(p.queue) > 0 {
		return nil
	}
	st := p.state.Load()
	if st == nil || st.name == "" {
		return nil
	}
	ci, err := p.js.ConsumerInfo(ctx, p.stream, st.name)
	if err != nil {
		return nil // the stall logic decides about an unreachable server
	}
	p.idle.Store(0)
	if ci.NumPending == 0 && len(p.queue) == 0 {
		return fmt.Errorf("%w: %d of %d delivered, none pending", errMissing, p.delivered, p.limit)
	}
	return nil
}

// status handles a pull's end or error (ADR-37 status lines).
func (p *orderedPull) status(ctx context.Context, s pullStatus) error {
	switch {
	case s.status == 404 || s.status == 408 || s.status == 409 && s.pending >= 0:
		// The pull ended; what it did not deliver is no longer asked for.
		if s.pending >= 0 {
			p.outstanding = max(0, p.outstanding-s.pending)
		} else {
			p.outstanding = 0
		}
		return nil
	case s.status == 409 && (bytes.Contains([]byte(s.desc), []byte("Leadership Change")) || bytes.Contains([]byte(s.desc), []byte("Server Shutdown"))):
		p.outstanding = 0
		return nil
	case s.status == 409 && bytes.Contains([]byte(s.desc), []byte("Consumer Deleted")):
		return p.reset(ctx, nil)
	case s.status == 503:
		return p.reset(ctx, nil)
	default:
		return fmt.Errorf("obj: chunk consumer: %d %s", s.status, s.desc)
	}
}

// reset replaces the consumer with one starting after the last message
// delivered. Creating may fail while the connection reconnects; it is
// retried until ctx ends or maxResets attempts pass.
func (p *orderedPull) reset(ctx context.Context, cause error) error {
	p.deleteConsumer(ctx)
	for {
		p.resets++
		if p.resets > maxResets {
			if cause == nil {
				cause = ErrReaderStalled
			}
			return fmt.Errorf("%w: gave up after %d consumer resets", cause, maxResets)
		}
		p.drain()
		err := p.create(ctx)
		if err == nil || errors.Is(err, errMissing) {
			return err
		}
		cause = fmt.Errorf("%w: %w", ErrReaderStalled, err)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		t := time.NewTimer(p.hb)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// drain empties the queues, keeping the buffers.
func (p *orderedPull) drain() {
	for {
		select {
		case d := <-p.queue:
			p.recycle(d.buf)
		case <-p.ctl:
		default:
			return
		}
	}
}

// recycle hands a delivery's buffer back for the next message, or to the
// package's pool when this reader has enough.
func (p *orderedPull) recycle(bp *[]byte) {
	if bp == nil {
		return
	}
	select {
	case p.free <- bp:
	default:
		chunkPool.Put(bp)
	}
}

// chunkPool keeps chunk buffers between reads, so a program that gets
// object after object reuses the same few (at most a reader's window
// each) instead of allocating them per get.
var chunkPool sync.Pool

func getChunkBuf() *[]byte {
	if bp, ok := chunkPool.Get().(*[]byte); ok {
		return bp
	}
	return new([]byte)
}

// deleteConsumer removes the current consumer, bounded in time: a server
// that does not answer leaves it to the inactive threshold.
func (p *orderedPull) deleteConsumer(ctx context.Context) {
	st := p.state.Load()
	if st == nil {
		return
	}
	p.state.Store(&pullState{gen: st.gen}) // drop its messages from now on
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	defer cancel()
	_ = p.js.DeleteConsumer(ctx, p.stream, st.name)
}

// deleteTimeout bounds the consumer delete of a Close or a reset.
const deleteTimeout = 2 * time.Second

// close ends the subscription and deletes the consumer.
func (p *orderedPull) close(ctx context.Context) {
	_ = p.sub.Unsubscribe()
	if p.tick != nil {
		p.tick.Stop()
	}
	p.deleteConsumer(ctx)
	p.drain()
	for {
		select {
		case bp := <-p.free:
			chunkPool.Put(bp)
		default:
			return
		}
	}
}
