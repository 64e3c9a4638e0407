package core_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
)

// sessionLog records a Conn's events and lets tests wait for one.
type sessionLog struct {
	mu     sync.Mutex
	events []core.Event
	at     []time.Time
	wake   chan struct{}
}

func newSessionLog() *sessionLog { return &sessionLog{wake: make(chan struct{}, 1)} }

func (l *sessionLog) handler(ev core.Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *sessionLog) option() core.Option { return core.WithEventHandler(l.handler) }

// count returns how many events of kind were seen.
func (l *sessionLog) count(kind core.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.events {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// all returns a copy of the events seen so far.
func (l *sessionLog) all() []core.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]core.Event(nil), l.events...)
}

// waitN waits until n events of kind were seen and returns the n-th with
// the time it arrived.
func (l *sessionLog) waitN(t testing.TB, kind core.EventKind, n int, timeout time.Duration) (core.Event, time.Time) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		seen := 0
		for i, ev := range l.events {
			if ev.Kind == kind {
				seen++
				if seen == n {
					at := l.at[i]
					l.mu.Unlock()
					return ev, at
				}
			}
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-deadline.C:
			t.Fatalf("no %v event #%d within %v; events: %v", kind, n, timeout, kinds(l.all()))
		}
	}
}

func kinds(evs []core.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind.String()
		if ev.Err != nil {
			out[i] += "(" + ev.Err.Error() + ")"
		}
	}
	return out
}

// eventually polls cond until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	require.Eventually(t, cond, timeout, 5*time.Millisecond, append([]any{msg}, args...)...)
}

// fastReconnect makes reconnect tests quick: short backoff, short connect
// timeout.
func fastReconnect() []core.Option {
	return []core.Option{
		core.WithReconnectWait(10*time.Millisecond, 200*time.Millisecond),
		core.WithConnectTimeout(2 * time.Second),
		core.WithMaxReconnects(-1),
	}
}

// portOf returns the port of a nats://host:port URL.
func portOf(t testing.TB, url string) int {
	t.Helper()
	i := strings.LastIndexByte(url, ':')
	p, err := strconv.Atoi(url[i+1:])
	require.NoError(t, err)
	return p
}
