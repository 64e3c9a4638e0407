package core

import (
	"fmt"
	"sync"
)

// EventKind names what happened to a Conn.
type EventKind uint8

// The events a Conn reports to WithEventHandler and AddEventListener.
const (
	// EventConnected: the first session is up.
	EventConnected EventKind = iota + 1
	// EventDisconnected: the session ended (Err says why); the Conn
	// reconnects unless it is closing.
	EventDisconnected
	// EventReconnected: a new session is up, subscriptions restored.
	EventReconnected
	// EventClosed: the Conn is closed; Err is nil after Close or Drain,
	// otherwise what ended it. The last event.
	EventClosed
	// EventLameDuck: the server is shutting down; the Conn moves to another
	// server of the pool within the lame-duck window.
	EventLameDuck
	// EventServersDiscovered: the cluster announced servers that joined the
	// pool (Servers).
	EventServersDiscovered
	// EventSlowConsumer: Sub dropped messages over its pending limits;
	// reported once per episode.
	EventSlowConsumer
	// EventAsyncError: an error that did not end the session, such as a
	// permissions violation (Sub names the subscription when it concerns
	// one) or a server that left the pool.
	EventAsyncError
)

func (k EventKind) String() string {
	switch k {
	case EventConnected:
		return "connected"
	case EventDisconnected:
		return "disconnected"
	case EventReconnected:
		return "reconnected"
	case EventClosed:
		return "closed"
	case EventLameDuck:
		return "lame duck"
	case EventServersDiscovered:
		return "servers discovered"
	case EventSlowConsumer:
		return "slow consumer"
	case EventAsyncError:
		return "async error"
	}
	return "unknown"
}

// Event is something that happened to a Conn, delivered in order.
type Event struct {
	Kind EventKind
	// Err is the cause (disconnected, closed, slow consumer, async error).
	Err error
	// Sub is the subscription concerned, when there is one.
	Sub *Subscription
	// Server is the URL concerned (credentials redacted), when there is one.
	Server string
	// Servers lists the URLs a cluster announced (servers discovered).
	Servers []string
}

// maxQueuedEvents bounds the events waiting for one slow listener. Past it,
// events that a server can cause in any number (async errors, slow
// consumers, discoveries) are dropped for that listener and counted; events
// of the Conn's own life (connected, disconnected, reconnected, closed, lame
// duck) are bounded by the number of sessions and always kept.
const maxQueuedEvents = 1024

// AddEventListener adds f to the functions that observe the Conn's events,
// beside the WithEventHandler handler, and returns the function that
// removes it. It is how the layers above (consumers, watchers, services)
// learn of a reconnect, to re-issue what the server forgot.
//
// Delivery: every listener has its own queue and its own goroutine, which
// exists only while events wait for it. A listener sees the events one at
// a time, in the order they happened (the same order for every listener),
// never concurrently with itself; different listeners run concurrently. The
// reader never waits for a listener, and a slow or blocked listener delays
// only itself: past 1024 events waiting for it, it misses the droppable
// ones (async errors, slow consumers, discoveries) and is told how many in
// an EventAsyncError wrapping ErrEventsDropped once it catches up.
//
// A listener added after the Conn closed receives EventClosed at once, so
// whoever waits for the end sees it. remove may be called more than once,
// and from the listener itself; once it returned, no event is queued for f
// any more and those waiting are discarded, but a call already under way,
// or just taken from the queue, still runs. A nil f is ignored.
func (c *Conn) AddEventListener(f func(Event)) (remove func()) {
	if f == nil {
		return func() {}
	}
	l := c.events.add(f)
	return func() { c.events.remove(l) }
}

// eventHub fans each event out to the Conn's listeners, in one order for
// all. One lock guards the hub and every listener's queue: a push, which the
// reader makes for each event (a server can cause them by the thousand),
// takes it once. Nothing else is taken under it and no listener is called
// while holding it.
type eventHub struct {
	mu        sync.Mutex
	listeners []*listener
	// closed holds EventClosed once it was pushed, for listeners added later.
	closed *Event
}

// listener delivers events to one function, in order, on a goroutine that
// runs only while events wait: a Conn whose listeners have nothing to do
// costs no goroutine, and a slow listener delays itself, never the reader
// nor the other listeners. Its fields but f are guarded by hub.mu.
type listener struct {
	hub     *eventHub
	f       func(Event)
	queue   []Event
	running bool
	removed bool
	// dropped counts events dropped since the last report of them.
	dropped int
}

func (h *eventHub) init(f func(Event)) {
	if f != nil {
		h.add(f)
	}
}

func (h *eventHub) add(f func(Event)) *listener {
	l := &listener{hub: h, f: f}
	h.mu.Lock()
	h.listeners = append(h.listeners, l)
	if h.closed != nil {
		l.pushLocked(*h.closed)
	}
	h.mu.Unlock()
	return l
}

func (h *eventHub) remove(l *listener) {
	h.mu.Lock()
	for i, x := range h.listeners {
		if x == l {
			h.listeners = append(h.listeners[:i:i], h.listeners[i+1:]...)
			break
		}
	}
	l.removed = true
	l.queue = nil
	h.mu.Unlock()
}

// push queues ev for every listener. One lock across all of them, so that
// events pushed from different goroutines reach all in the same order.
func (h *eventHub) push(ev Event) {
	h.mu.Lock()
	if ev.Kind == EventClosed {
		h.closed = &ev
	}
	for _, l := range h.listeners {
		l.pushLocked(ev)
	}
	h.mu.Unlock()
}

// pushLocked queues ev for l, starting its goroutine if it has none; h.mu
// held.
func (l *listener) pushLocked(ev Event) {
	if l.removed {
		return
	}
	if len(l.queue) >= maxQueuedEvents && droppable(ev.Kind) {
		l.dropped++
		return
	}
	l.queue = append(l.queue, ev)
	if !l.running {
		l.running = true
		go l.run()
	}
}

func (l *listener) run() {
	h := l.hub
	for {
		h.mu.Lock()
		if len(l.queue) == 0 || l.removed {
			l.running = false
			l.queue = nil
			h.mu.Unlock()
			return
		}
		ev := l.queue[0]
		l.queue[0] = Event{}
		l.queue = l.queue[1:]
		if l.dropped > 0 && len(l.queue) < maxQueuedEvents/2 {
			// Tell the listener, once it has caught up, what it missed.
			l.queue = append(l.queue, Event{Kind: EventAsyncError, Err: fmt.Errorf("%w: %d", ErrEventsDropped, l.dropped)})
			l.dropped = 0
		}
		h.mu.Unlock()
		l.f(ev)
	}
}

// droppable reports whether events of kind may be dropped when a listener
// falls behind.
func droppable(k EventKind) bool {
	return k == EventAsyncError || k == EventSlowConsumer || k == EventServersDiscovered
}
