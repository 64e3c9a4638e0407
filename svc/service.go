package svc

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/nats-io/nuid"

	"github.com/starling-nats/starling/core"
)

// Service is one running instance of a service: its endpoints, its
// discovery subscriptions and their statistics. All methods are safe for
// concurrent use.
//
// A Service lives from Add until Stop, or until its connection closes. It
// survives reconnects: the connection restores its subscriptions, so the
// instance answers requests and discovery again as soon as a server is
// back.
type Service struct {
	nc     *core.Conn
	cfg    Config
	id     string
	prefix string
	root   Group

	mu        sync.Mutex
	endpoints []*Endpoint
	discovery []*core.Subscription
	started   time.Time
	stopped   bool
	// stopping is closed when the service stops taking work (Stop or the
	// connection closed); done when it has fully stopped.
	stopping chan struct{}
	done     chan struct{}
	// changed wakes the watcher when an endpoint is added.
	changed chan struct{}
	// info caches the INFO response; it changes only when endpoints do.
	info []byte
	ping []byte

	// callbacks counts ErrorHandler and DoneHandler goroutines, so that
	// Stop returns only when they have run. cbMu orders Add before the
	// final Wait: after it (finished), late reports run untracked.
	cbMu      sync.Mutex
	finished  bool
	callbacks sync.WaitGroup
	watcher   sync.WaitGroup
}

// Add validates cfg, then starts a service instance on nc: it subscribes
// to the nine discovery subjects ($SRV.PING, $SRV.PING.<name>,
// $SRV.PING.<name>.<id>, and the same for INFO and STATS) and returns the
// Service, with a new unique ID, ready for endpoints. An invalid cfg
// returns a *ConfigError (matching ErrInvalidConfig) before anything is
// subscribed. Other connections find the service once the server has
// processed the subscriptions: nc.Flush after adding the endpoints waits
// for that.
func Add(nc *core.Conn, cfg Config) (*Service, error) {
	if nc == nil {
		return nil, configErr("connection", "", "nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Metadata = maps.Clone(cfg.Metadata)
	if cfg.Metadata == nil {
		cfg.Metadata = map[string]string{}
	}
	s := &Service{
		nc:       nc,
		cfg:      cfg,
		id:       nuid.Next(),
		prefix:   cfg.Prefix,
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		changed:  make(chan struct{}, 1),
		started:  time.Now().UTC(),
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	s.root = Group{s: s}
	if cfg.QueueGroupDisabled {
		s.root.opts.queue = queueChoice{set: true, disabled: true}
	} else if cfg.QueueGroup != "" {
		s.root.opts.queue = queueChoice{name: cfg.QueueGroup, set: true}
	}
	s.ping = s.encodePing()
	s.info = s.encodeInfo()
	if err := s.subscribeDiscovery(); err != nil {
		for _, sub := range s.discovery {
			_ = sub.Unsubscribe()
		}
		return nil, err
	}
	s.watcher.Add(1)
	go s.watch()
	return s, nil
}

// ID returns the instance's unique id (a NUID).
func (s *Service) ID() string { return s.id }

// Name returns the service's name.
func (s *Service) Name() string { return s.cfg.Name }

// Version returns the service's version.
func (s *Service) Version() string { return s.cfg.Version }

// Prefix returns the first token of the service's discovery subjects.
func (s *Service) Prefix() string { return s.prefix }

// AddEndpoint adds an endpoint at the top level of the service: its
// subject is WithSubject's, or its name. See Group.AddEndpoint.
func (s *Service) AddEndpoint(name string, h Handler, opts ...Option) (*Endpoint, error) {
	return s.root.AddEndpoint(name, h, opts...)
}

// AddGroup returns a group whose endpoints' subjects start with prefix
// (prefix.subject). See Group.AddGroup.
func (s *Service) AddGroup(prefix string, opts ...Option) (*Group, error) {
	return s.root.AddGroup(prefix, opts...)
}

// Endpoints returns the service's endpoints in the order they were added.
func (s *Service) Endpoints() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Endpoint(nil), s.endpoints...)
}

// Reset zeroes every endpoint's statistics and restarts the service's
// "started" time, so rates computed from STATS cover the time since.
func (s *Service) Reset() {
	s.mu.Lock()
	eps := s.endpoints
	s.started = time.Now().UTC()
	s.mu.Unlock()
	for _, e := range eps {
		e.reset()
	}
}

// Stopped reports whether the service has stopped taking requests (Stop
// was called or its connection closed).
func (s *Service) Stopped() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// Done returns a channel closed once the service has fully stopped: its
// subscriptions drained and its DoneHandler run.
func (s *Service) Done() <-chan struct{} { return s.done }

// Stop stops the service gracefully: every endpoint and discovery
// subscription is drained, so each request the server delivered before
// is handled and answered, and requests sent afterwards go to the other
// instances (or get no-responders when there are none): none is left
// without a reply or an error. It returns when the handlers have finished
// and the DoneHandler has run, or when ctx ends (the requests still waiting
// are then dropped). Calling it again waits for the first call's work.
//
// Stop waits for handlers, so it must not be called from one: a handler
// that wants to stop its service does so from another goroutine.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.stopped = true
	close(s.stopping)
	subs := append([]*core.Subscription(nil), s.discovery...)
	for _, e := range s.endpoints {
		subs = append(subs, e.sub.Load())
	}
	s.mu.Unlock()

	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = drainErr(sub.Drain(ctx))
		}()
	}
	wg.Wait()
	s.finish()
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// drainErr keeps only the errors that mean requests may have been dropped:
// a subscription already gone (the connection closed) has nothing left.
func drainErr(err error) error {
	if errors.Is(err, core.ErrBadSubscription) || errors.Is(err, core.ErrConnectionClosed) {
		return nil
	}
	return err
}

// finish runs once the subscriptions are drained or gone: it waits for the
// watcher and the callbacks, runs the DoneHandler and closes done.
func (s *Service) finish() {
	s.watcher.Wait()
	s.cbMu.Lock()
	if h := s.cfg.DoneHandler; h != nil {
		s.callbacks.Add(1)
		go func() {
			defer s.callbacks.Done()
			h(s)
		}()
	}
	s.finished = true
	s.cbMu.Unlock()
	go func() {
		s.callbacks.Wait()
		close(s.done)
	}()
}

// stopOnClose marks the service stopped because its connection closed:
// the subscriptions are gone with it, there is nothing to drain.
func (s *Service) stopOnClose() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.stopping)
	s.mu.Unlock()
	go s.finish()
}

// reportError hands err to the ErrorHandler on a goroutine of its own, so
// that a slow handler never holds up requests or the connection's reader.
func (s *Service) reportError(err error) {
	h := s.cfg.ErrorHandler
	if h == nil {
		return
	}
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	if s.finished {
		// A handler that outlived the service (its connection closed under
		// it) still gets its error reported.
		go h(s, err)
		return
	}
	s.callbacks.Add(1)
	go func() {
		defer s.callbacks.Done()
		h(s, err)
	}()
}
