package svc

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

// Endpoint is one subject a service answers on, with its statistics.
type Endpoint struct {
	s        *Service
	name     string
	subject  string
	queue    string
	metadata map[string]string
	handler  Handler
	borrowed bool
	// sub is set once Subscribe returns, which may be after the first
	// request was handed to serveOwned on the delivery goroutine.
	sub atomic.Pointer[core.Subscription]
	// breq is the one Request a borrowed endpoint lends to every call: its
	// handler runs only on the connection's reader, one call at a time.
	breq Request

	mu          sync.Mutex
	dropped     int64 // requests the subscription dropped, as last seen
	numRequests int64
	numErrors   int64
	lastError   string
	processing  time.Duration
}

// Name returns the endpoint's name.
func (e *Endpoint) Name() string { return e.name }

// Subject returns the full subject the endpoint subscribes to.
func (e *Endpoint) Subject() string { return e.subject }

// QueueGroup returns the endpoint's queue group, "" when it has none.
func (e *Endpoint) QueueGroup() string { return e.queue }

// Metadata returns a copy of the endpoint's metadata.
func (e *Endpoint) Metadata() map[string]string { return maps.Clone(e.metadata) }

// Service returns the service the endpoint belongs to.
func (e *Endpoint) Service() *Service { return e.s }

// addEndpoint subscribes e and lists it, unless the service stopped.
func (s *Service) addEndpoint(e *Endpoint, o options) error {
	e.breq.ep = e
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	var subOpts []core.SubOption
	if e.queue != "" {
		subOpts = append(subOpts, core.Queue(e.queue))
	}
	var sub *core.Subscription
	var err error
	if e.borrowed {
		sub, err = s.nc.SubscribeBorrowed(e.subject, e.serveBorrowed, subOpts...)
	} else {
		if o.limits {
			subOpts = append(subOpts, core.PendingLimits(o.msgs, o.bytes))
		}
		sub, err = s.nc.Subscribe(e.subject, e.serveOwned, subOpts...)
	}
	if err != nil {
		return fmt.Errorf("svc: endpoint %q: %w", e.name, err)
	}
	e.sub.Store(sub)
	s.endpoints = append(s.endpoints, e)
	s.info = s.encodeInfoLocked()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (e *Endpoint) serveOwned(m *core.Msg) {
	e.serve(&Request{ep: e, msg: m})
	e.checkDropped()
}

// checkDropped counts the requests the endpoint's queue dropped over its
// pending limits since the last look as errors, and reports them: their
// requesters get no answer and time out, so the service must say so.
func (e *Endpoint) checkDropped() {
	sub := e.sub.Load()
	if sub == nil {
		return
	}
	n := sub.Dropped()
	e.mu.Lock()
	delta := n - e.dropped
	if delta <= 0 {
		e.mu.Unlock()
		return
	}
	e.dropped = n
	e.numErrors += delta
	e.lastError = "503:" + strconv.FormatInt(delta, 10) + " requests dropped over the pending limits"
	e.mu.Unlock()
	e.s.reportError(&HandlerError{Endpoint: e.name, Subject: e.subject, Err: fmt.Errorf("%w: %d requests", core.ErrSlowConsumer, delta)})
}

func (e *Endpoint) serveBorrowed(bm *core.BorrowedMsg) {
	r := &e.breq
	r.bm = bm
	r.responded.Store(false)
	e.serve(r)
	r.bm = nil
}

// serve runs the handler, timing it; a panic becomes a 500 reply (unless
// the handler had already answered), an error in the statistics and a
// report to the ErrorHandler, and the endpoint goes on serving.
func (e *Endpoint) serve(r *Request) {
	start := time.Now()
	panicked, value := e.call(r)
	d := time.Since(start)
	e.mu.Lock()
	e.numRequests++
	e.processing += d
	e.mu.Unlock()
	if panicked {
		if !r.responded.Load() {
			_ = r.Error(500, "handler panicked", nil)
		} else {
			e.recordError(500, "handler panicked")
		}
		e.s.reportError(&HandlerError{Endpoint: e.name, Subject: e.subject, Value: value, Err: ErrHandlerPanic})
	}
}

// call runs the handler and recovers a panic, reporting it and its value.
func (e *Endpoint) call(r *Request) (panicked bool, value any) {
	defer func() {
		if v := recover(); v != nil {
			panicked, value = true, v
		}
	}()
	e.handler.Handle(r)
	return false, nil
}

// recordError counts an error reply: ADR-32's num_errors and last_error
// ("<code>:<description>").
func (e *Endpoint) recordError(code int, description string) {
	last := strconv.Itoa(code) + ":" + description
	e.mu.Lock()
	e.numErrors++
	e.lastError = last
	e.mu.Unlock()
}

// Stats returns the endpoint's statistics as STATS reports them, custom
// data included.
func (e *Endpoint) Stats() EndpointStats {
	if !e.borrowed {
		e.checkDropped()
	}
	e.mu.Lock()
	st := EndpointStats{
		Name:           e.name,
		Subject:        e.subject,
		QueueGroup:     e.queue,
		NumRequests:    int(e.numRequests),
		NumErrors:      int(e.numErrors),
		LastError:      e.lastError,
		ProcessingTime: e.processing,
	}
	e.mu.Unlock()
	if st.NumRequests > 0 {
		st.AverageProcessingTime = st.ProcessingTime / time.Duration(st.NumRequests)
	}
	if h := e.s.cfg.StatsHandler; h != nil {
		st.Data = e.s.statsData(h, e)
	}
	return st
}

func (e *Endpoint) reset() {
	e.mu.Lock()
	e.numRequests, e.numErrors, e.lastError, e.processing = 0, 0, "", 0
	e.mu.Unlock()
}

// Stop removes the endpoint from its service gracefully, leaving the rest
// of the service running: its subscription is drained, so every request
// the server delivered to it is answered, and it leaves INFO and STATS.
// It returns when that is done or ctx ends. Stopping an endpoint twice, or
// after its service stopped, does nothing.
func (e *Endpoint) Stop(ctx context.Context) error {
	s := e.s
	s.mu.Lock()
	i := slices.Index(s.endpoints, e)
	if s.stopped || i < 0 {
		s.mu.Unlock()
		return nil
	}
	s.endpoints = slices.Delete(slices.Clone(s.endpoints), i, i+1)
	s.info = s.encodeInfoLocked()
	s.mu.Unlock()
	return drainErr(e.sub.Load().Drain(ctx))
}
