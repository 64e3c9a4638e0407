package js

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the options of New.
const (
	// DefaultAPIPrefix is where the JetStream API lives without a domain.
	DefaultAPIPrefix = "$JS.API"
	// DefaultTimeout bounds an API call or a publish whose context has no
	// deadline.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxResponseSize bounds an API reply the client decodes.
	DefaultMaxResponseSize = 16 << 20
	// DefaultPublishAsyncMaxPending is the async publish window.
	DefaultPublishAsyncMaxPending = 4000
	// DefaultPublishRetryAttempts is how many more times a publish that
	// met 503 no responders is tried (ADR-22).
	DefaultPublishRetryAttempts = 2
	// DefaultPublishRetryWait is the wait before each of those attempts.
	DefaultPublishRetryWait = 250 * time.Millisecond
)

// JetStream is a JetStream API context bound to one connection: stream
// management, publishing and direct get. It is safe for concurrent use.
// Close releases the async publisher's reply subscription; the connection
// stays open.
type JetStream struct {
	nc   Conn
	opts options
	// prefix is the API prefix with its trailing dot: "$JS.API.".
	prefix string

	levelMu sync.Mutex
	level   int
	levelOK bool

	// lastStream is the stream name of the last sync PubAck, reused while
	// it repeats so that an ack does not allocate the name.
	lastStream atomicString

	asyncOnce sync.Once
	async     atomic.Pointer[asyncPublisher]
	asyncErr  error
}

type options struct {
	prefix          string
	timeout         time.Duration
	maxResponse     int
	asyncMaxPending int
	asyncAckTimeout time.Duration
	asyncNoWait     bool
	retryAttempts   int
	retryWait       time.Duration
}

// Option configures New.
type Option func(*options) error

// WithDomain talks to the JetStream domain d: the API prefix becomes
// "$JS.<d>.API". Default: no domain ("$JS.API").
func WithDomain(d string) Option {
	return func(o *options) error {
		if d == "" || strings.ContainsAny(d, ". *>\t\r\n") {
			return fmt.Errorf("%w: domain %q", ErrInvalidOption, d)
		}
		o.prefix = "$JS." + d + ".API"
		return nil
	}
}

// WithAPIPrefix uses p as the API prefix, as an account import of another
// account's JetStream API needs. Default: "$JS.API".
func WithAPIPrefix(p string) Option {
	return func(o *options) error {
		p = strings.TrimSuffix(p, ".")
		if p == "" || strings.ContainsAny(p, " *>\t\r\n") {
			return fmt.Errorf("%w: api prefix %q", ErrInvalidOption, p)
		}
		o.prefix = p
		return nil
	}
}

// WithTimeout bounds API calls and publishes whose context has no
// deadline. Default: DefaultTimeout (5 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrInvalidOption, d)
		}
		o.timeout = d
		return nil
	}
}

// WithMaxResponseSize bounds the API replies the client decodes; larger
// ones fail with ErrResponseTooLarge. Default: DefaultMaxResponseSize
// (16 MiB).
func WithMaxResponseSize(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("%w: max response size %d", ErrInvalidOption, n)
		}
		o.maxResponse = n
		return nil
	}
}

// WithPublishAsyncMaxPending sets the async publish window: how many
// PublishAsync calls may wait for their ack at once. Default:
// DefaultPublishAsyncMaxPending (4000).
func WithPublishAsyncMaxPending(n int) Option {
	return func(o *options) error {
		if n <= 0 || n > 1<<20 {
			return fmt.Errorf("%w: async max pending %d", ErrInvalidOption, n)
		}
		o.asyncMaxPending = n
		return nil
	}
}

// WithPublishAsyncTimeout fails an async publish with ErrAckTimeout when
// its ack has not come after d. Default: the context's timeout
// (WithTimeout).
func WithPublishAsyncTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: async ack timeout %v", ErrInvalidOption, d)
		}
		o.asyncAckTimeout = d
		return nil
	}
}

// WithPublishAsyncNoWait makes PublishAsync fail at once with
// ErrAsyncPublishFull when the window is full, instead of waiting for
// room until its context ends. Default: wait.
func WithPublishAsyncNoWait() Option {
	return func(o *options) error {
		o.asyncNoWait = true
		return nil
	}
}

// WithPublishRetry sets how a publish that met 503 no responders (no
// stream leader yet, as after a stepdown) is retried: up to attempts more
// times, waiting wait before each. Default: DefaultPublishRetryAttempts
// (2) and DefaultPublishRetryWait (250 ms).
func WithPublishRetry(attempts int, wait time.Duration) Option {
	return func(o *options) error {
		if attempts < 0 || wait < 0 {
			return fmt.Errorf("%w: publish retry %d, %v", ErrInvalidOption, attempts, wait)
		}
		o.retryAttempts, o.retryWait = attempts, wait
		return nil
	}
}

// New returns a JetStream context on nc. It sends nothing: the server's API
// level is read on the first call that needs it.
func New(nc Conn, opts ...Option) (*JetStream, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidOption)
	}
	o := options{
		prefix:          DefaultAPIPrefix,
		timeout:         DefaultTimeout,
		maxResponse:     DefaultMaxResponseSize,
		asyncMaxPending: DefaultPublishAsyncMaxPending,
		retryAttempts:   DefaultPublishRetryAttempts,
		retryWait:       DefaultPublishRetryWait,
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.asyncAckTimeout == 0 {
		o.asyncAckTimeout = o.timeout
	}
	return &JetStream{nc: nc, opts: o, prefix: o.prefix + "."}, nil
}

// Conn returns the connection the context uses.
func (js *JetStream) Conn() Conn { return js.nc }

// APIPrefix returns the API prefix, "$JS.API" unless a domain or prefix
// was given.
func (js *JetStream) APIPrefix() string { return js.opts.prefix }

// withTimeout gives ctx the context's default timeout when it has no
// deadline.
func (js *JetStream) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, js.opts.timeout)
}

// Close fails every pending async publish with ErrPublisherClosed and
// drops the reply subscription. The connection stays open; the context
// may not be used for async publishes afterwards.
func (js *JetStream) Close() {
	js.asyncOnce.Do(func() { js.asyncErr = ErrPublisherClosed })
	if p := js.async.Load(); p != nil {
		p.close(ErrPublisherClosed)
		<-p.ended
	}
}

// atomicString is a string read and written atomically.
type atomicString struct{ p atomic.Pointer[string] }

func (a *atomicString) Load() string {
	if p := a.p.Load(); p != nil {
		return *p
	}
	return ""
}

func (a *atomicString) Store(s string) { a.p.Store(&s) }
