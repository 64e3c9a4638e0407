package js

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nuid"

	"github.com/starling-nats/starling/core"
)

// OrderedConsumerConfig chooses what an ordered consumer reads. Zero
// values: every subject of the stream, from its first message.
type OrderedConsumerConfig struct {
	FilterSubjects []string
	DeliverPolicy  DeliverPolicy
	OptStartSeq    uint64
	OptStartTime   *time.Time
	ReplayPolicy   ReplayPolicy
	HeadersOnly    bool
	// InactiveThreshold is how long the server keeps a consumer nobody
	// pulls from. Default: DefaultOrderedInactiveThreshold (5 min).
	InactiveThreshold time.Duration
	// NamePrefix starts the names of the consumers it creates
	// (<prefix>_<serial>). Default: a random one.
	NamePrefix string
}

// DefaultOrderedInactiveThreshold is an ordered consumer's default
// InactiveThreshold.
const DefaultOrderedInactiveThreshold = 5 * time.Minute

// DefaultOrderedHeartbeat is an ordered consumer's idle heartbeat when
// PullHeartbeat is not given (capped at half the expiry). It is shorter
// than a plain consume's (half the expiry, 15 s by default) because an
// ordered consumer recreates its server consumer by itself, and missed
// heartbeats are its last resort when that consumer vanished without a
// word reaching it (no 409 Consumer Deleted, no 503 to a pull): two missed
// heartbeats (10 s) then recreate it, where 15 s heartbeats took 30 s.
const DefaultOrderedHeartbeat = 5 * time.Second

// OrderedConsumer reads a stream in order, each message exactly once,
// without acks: it runs an ephemeral, unacknowledged, in-memory consumer
// and, whenever delivery may have skipped (a consumer sequence gap, missed
// heartbeats, the consumer gone after a restart or deletion), replaces it
// with one starting after the last stream sequence it delivered. Messages
// received but not yet handed over survive the replacement.
//
// One Consume or Messages runs at a time; a second one is ErrOrderedBusy.
type OrderedConsumer struct {
	js     *JetStream
	stream string
	cfg    OrderedConsumerConfig

	mu      sync.Mutex
	running bool
	serial  int
	// last is the last stream sequence accepted, in order.
	last atomic.Uint64
}

// ErrOrderedBusy: the ordered consumer already runs a Consume or Messages.
var ErrOrderedBusy = errors.New("js: ordered consumer already consuming")

// OrderedConsumer returns an ordered consumer on stream; the server
// consumer is created when Consume or Messages starts.
func (js *JetStream) OrderedConsumer(ctx context.Context, stream string, cfg OrderedConsumerConfig) (*OrderedConsumer, error) {
	if err := checkName(stream); err != nil {
		return nil, err
	}
	if cfg.NamePrefix == "" {
		cfg.NamePrefix = nuid.Next()
	} else if err := checkConsumerName(cfg.NamePrefix); err != nil {
		return nil, err
	}
	if cfg.InactiveThreshold == 0 {
		cfg.InactiveThreshold = DefaultOrderedInactiveThreshold
	}
	return &OrderedConsumer{js: js, stream: stream, cfg: cfg}, nil
}

// LastStreamSequence is the stream sequence of the last message the
// ordered consumer accepted.
func (oc *OrderedConsumer) LastStreamSequence() uint64 { return oc.last.Load() }

// config is the next server consumer's config: from the start the user
// chose, or right after the last accepted message.
func (oc *OrderedConsumer) config() ConsumerConfig {
	oc.mu.Lock()
	oc.serial++
	name := oc.cfg.NamePrefix + "_" + strconv.Itoa(oc.serial)
	oc.mu.Unlock()
	c := ConsumerConfig{
		Name:              name,
		DeliverPolicy:     oc.cfg.DeliverPolicy,
		OptStartSeq:       oc.cfg.OptStartSeq,
		OptStartTime:      oc.cfg.OptStartTime,
		ReplayPolicy:      oc.cfg.ReplayPolicy,
		HeadersOnly:       oc.cfg.HeadersOnly,
		AckPolicy:         AckNone,
		MaxDeliver:        1,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: oc.cfg.InactiveThreshold,
	}
	if len(oc.cfg.FilterSubjects) == 1 {
		c.FilterSubject = oc.cfg.FilterSubjects[0]
	} else {
		c.FilterSubjects = oc.cfg.FilterSubjects
	}
	if last := oc.last.Load(); last > 0 {
		c.DeliverPolicy, c.OptStartSeq, c.OptStartTime = DeliverByStartSequence, last+1, nil
	}
	return c
}

// Consume delivers every message in order to handler on a goroutine of
// its own; see Consumer.Consume for the options (but the heartbeat's
// default is DefaultOrderedHeartbeat). Stop and Drain both stop it at once.
func (oc *OrderedConsumer) Consume(handler func(*Msg), opts ...PullOption) (*ConsumeContext, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	r, err := oc.run(opts)
	if err != nil {
		return nil, err
	}
	r.goroutines = 2
	go r.control()
	go r.deliver(handler)
	return &ConsumeContext{r: r}, nil
}

// Messages yields every message in order; the loop ends when ctx ends,
// when it breaks, or with the error the ordered consumer cannot recover
// from (the stream deleted, the connection closed).
func (oc *OrderedConsumer) Messages(ctx context.Context, opts ...PullOption) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		r, err := oc.run(opts)
		if err != nil {
			yield(nil, err)
			return
		}
		r.goroutines = 1
		go r.control()
		defer func() {
			r.end(nil)
			<-r.done
		}()
		for {
			if m := r.pop(); m != nil {
				if !yield(m, nil) {
					return
				}
				continue
			}
			select {
			case <-r.ready:
			case <-r.stop:
				if err := r.Err(); err != nil {
					yield(nil, err)
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

func (oc *OrderedConsumer) run(opts []PullOption) (*orderedRun, error) {
	o, err := applyPullOpts(opts)
	if err != nil {
		return nil, err
	}
	if o.heartbeat == 0 {
		expiry := o.expiry
		if expiry == 0 {
			expiry = DefaultPullExpiry
		}
		expiry = max(expiry, minPullExpiry)
		opts = append(opts[:len(opts):len(opts)], PullHeartbeat(min(DefaultOrderedHeartbeat, expiry/2)))
	}
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if oc.running {
		return nil, ErrOrderedBusy
	}
	oc.running = true
	return &orderedRun{
		oc:      oc,
		opts:    opts,
		userErr: o.errHandler,
		ready:   make(chan struct{}, 1),
		resetCh: make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// orderedRun is one Consume or Messages of an ordered consumer: a chain of
// pull sessions, each on a fresh server consumer.
type orderedRun struct {
	oc      *OrderedConsumer
	opts    []PullOption
	userErr func(error)

	mu         sync.Mutex
	sess       *pullSession
	cons       *Consumer
	err        error
	ended      bool
	goroutines int

	ready   chan struct{}
	resetCh chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// Err is the error that ended the run, nil before and after Stop.
func (r *orderedRun) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *orderedRun) requestReset() {
	select {
	case r.resetCh <- struct{}{}:
	default:
	}
}

// end stops the run with err (nil: stopped by the user).
func (r *orderedRun) end(err error) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.ended, r.err = true, err
	close(r.stop)
	r.mu.Unlock()
}

func (r *orderedRun) exited() {
	r.mu.Lock()
	r.goroutines--
	last := r.goroutines == 0
	r.mu.Unlock()
	if last {
		r.oc.mu.Lock()
		r.oc.running = false
		r.oc.mu.Unlock()
		close(r.done)
	}
}

func (r *orderedRun) pop() *Msg {
	r.mu.Lock()
	s := r.sess
	r.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.pop()
}

func (r *orderedRun) deliver(handler func(*Msg)) {
	defer r.exited()
	for {
		if m := r.pop(); m != nil {
			handler(m)
			continue
		}
		select {
		case <-r.ready:
		case <-r.stop:
			return
		}
	}
}

// control creates the server consumers and replaces them when delivery
// may have skipped.
func (r *orderedRun) control() {
	defer r.exited()
	var carry struct {
		head, tail   *Msg
		msgs, nbytes int
	}
	for {
		s, err := r.next(carry.head, carry.tail, carry.msgs, carry.nbytes)
		if err != nil {
			r.end(err)
			r.report(err)
			return
		}
		if s == nil { // stopped while creating
			return
		}
		var ended error
		select {
		case <-r.stop:
		case <-r.resetCh:
		case <-s.done:
			s.mu.Lock()
			ended = s.err
			s.mu.Unlock()
		}
		carry.head, carry.tail, carry.msgs, carry.nbytes = s.takeQueue()
		<-s.done
		r.dropConsumer()
		if isStopped(r.stop) {
			return
		}
		if ended != nil && orderedFatal(ended) {
			r.end(ended)
			r.report(ended)
			return
		}
	}
}

func isStopped(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// orderedFatal: what a new consumer would meet again.
func orderedFatal(err error) bool {
	return errors.Is(err, core.ErrConnectionClosed) || errors.Is(err, ErrBadPullRequest) ||
		errors.Is(err, ErrPullLimitExceeded) || errors.Is(err, ErrAPILevelTooLow)
}

func (r *orderedRun) report(err error) {
	if r.userErr != nil && err != nil {
		r.userErr(err)
	}
}

// dropConsumer deletes the replaced consumer; the server would also drop
// it after InactiveThreshold, so a failure only costs memory for a while.
func (r *orderedRun) dropConsumer() {
	r.mu.Lock()
	c := r.cons
	r.cons = nil
	r.mu.Unlock()
	if c == nil || isClosedConn(r.oc.js.nc) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = r.oc.js.DeleteConsumer(ctx, c.stream, c.name)
	cancel()
}

func isClosedConn(nc Conn) bool {
	select {
	case <-nc.Closed():
		return true
	default:
		return false
	}
}

// next creates the next server consumer, retrying while the server is
// away, and starts a session on it holding the carried messages.
func (r *orderedRun) next(head, tail *Msg, msgs, nbytes int) (*pullSession, error) {
	js := r.oc.js
	wait := 50 * time.Millisecond
	for {
		if isStopped(r.stop) {
			return nil, nil
		}
		if isClosedConn(js.nc) {
			return nil, core.ErrConnectionClosed
		}
		ctx, cancel := context.WithTimeout(context.Background(), js.opts.timeout)
		c, err := js.CreateConsumer(ctx, r.oc.stream, r.oc.config())
		cancel()
		if err == nil {
			return r.start(c, head, tail, msgs, nbytes)
		}
		if errors.Is(err, ErrStreamNotFound) || errors.Is(err, ErrInvalidOption) || errors.Is(err, ErrInvalidName) {
			return nil, err
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return nil, err
		}
		r.report(err)
		select {
		case <-r.stop:
			return nil, nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

func (r *orderedRun) start(c *Consumer, head, tail *Msg, msgs, nbytes int) (*pullSession, error) {
	s, err := c.newSession(r.opts)
	if err != nil {
		return nil, err
	}
	s.queueOnly, s.keepQueue = true, true
	s.ready = r.ready
	s.head, s.tail, s.qMsgs, s.qBytes = head, tail, msgs, nbytes
	s.o.errHandler = func(err error) {
		if errors.Is(err, ErrNoHeartbeat) {
			r.requestReset()
		}
		if !terminal(err) && !errors.Is(err, core.ErrConnectionClosed) {
			r.report(err)
		}
	}
	oc := r.oc
	expect := uint64(1)
	gap := false
	s.accept = func(bm *core.BorrowedMsg) bool {
		if gap {
			return false
		}
		md, err := parseMetadata(bytesView(bm.Reply))
		if err != nil {
			return false
		}
		if md.ConsumerSeq != expect {
			gap = true
			r.requestReset()
			return false
		}
		expect++
		if md.StreamSeq <= oc.last.Load() {
			return false
		}
		oc.last.Store(md.StreamSeq)
		return true
	}
	r.mu.Lock()
	r.sess, r.cons = s, c
	r.mu.Unlock()
	if err := s.start(); err != nil {
		return nil, err
	}
	select {
	case r.ready <- struct{}{}:
	default:
	}
	return s, nil
}
