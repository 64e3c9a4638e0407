package core

import (
	"fmt"
	"sync"
)

// EventKind names what happened to a Conn.
type EventKind uint8

// The events a Conn reports through WithEventHandler.
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

// maxQueuedEvents bounds the events waiting for a slow handler. Past it,
// events that a server can cause in any number (async errors, slow
// consumers, discoveries) are dropped and counted; events of the Conn's own
// life (connected, disconnected, reconnected, closed, lame duck) are
// bounded by the number of sessions and always kept.
const maxQueuedEvents = 1024

// eventQueue delivers events in order on one goroutine at a time, which
// exists only while events wait: a Conn without events costs no goroutine,
// and a slow handler delays events, never the reader.
type eventQueue struct {
	mu      sync.Mutex
	handler func(Event)
	queue   []Event
	running bool
	// dropped counts events dropped since the last report of them.
	dropped int
}

func (q *eventQueue) init(h func(Event)) { q.handler = h }

func (q *eventQueue) push(ev Event) {
	if q.handler == nil {
		return
	}
	q.mu.Lock()
	if len(q.queue) >= maxQueuedEvents && droppable(ev.Kind) {
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.queue = append(q.queue, ev)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.run()
	}
}

func (q *eventQueue) run() {
	for {
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.running = false
			q.queue = nil
			q.mu.Unlock()
			return
		}
		ev := q.queue[0]
		q.queue[0] = Event{}
		q.queue = q.queue[1:]
		if q.dropped > 0 && len(q.queue) < maxQueuedEvents/2 {
			// Tell the handler, once it has caught up, what it missed.
			q.queue = append(q.queue, Event{Kind: EventAsyncError, Err: fmt.Errorf("%w: %d", ErrEventsDropped, q.dropped)})
			q.dropped = 0
		}
		q.mu.Unlock()
		q.handler(ev)
	}
}

// droppable reports whether events of kind may be dropped when the handler
// falls behind.
func droppable(k EventKind) bool {
	return k == EventAsyncError || k == EventSlowConsumer || k == EventServersDiscovered
}
