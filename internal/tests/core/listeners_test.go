package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// TestEventListenersAcrossReconnect has three listeners and the
// WithEventHandler handler observe a Conn through a real server restart,
// a forced reconnect and Close. One listener blocks through the restart:
// the others, and the Conn, go on without it, and it gets every event in
// order once released. One is removed halfway and hears nothing after.
func TestEventListenersAcrossReconnect(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	handler := newEventRec(t)
	nc := connect(t, s.ClientURL(), append(fastReconnect(), handler.option())...)
	handler.wait(core.EventConnected, 5*time.Second)

	first, second, blocked := newEventRec(t), newEventRec(t), newEventRec(t)
	nc.AddEventListener(first.handle)
	removeSecond := nc.AddEventListener(second.handle)
	release := make(chan struct{})
	nc.AddEventListener(func(ev core.Event) {
		<-release
		blocked.handle(ev)
	})

	sub, err := nc.SubscribeSync("listen")
	require.NoError(t, err)
	s.Restart()
	for _, l := range []*eventRec{handler, first, second} {
		l.wait(core.EventDisconnected, 5*time.Second)
		l.wait(core.EventReconnected, 10*time.Second)
	}
	// The blocked listener holds up nobody: the Conn works.
	require.NoError(t, nc.Publish("listen", []byte("after restart")))
	assert.Equal(t, "after restart", string(next(t, sub).Data))
	assert.Empty(t, blocked.kinds())

	removeSecond()
	removeSecond() // twice is fine
	require.NoError(t, nc.ForceReconnect())
	first.wait(core.EventDisconnected, 5*time.Second)
	first.wait(core.EventReconnected, 10*time.Second)
	close(release)

	nc.Close()
	recv(t, nc.Closed())
	life := []core.EventKind{core.EventDisconnected, core.EventReconnected, core.EventDisconnected, core.EventReconnected, core.EventClosed}
	first.wait(core.EventClosed, 5*time.Second)
	blocked.wait(core.EventClosed, 5*time.Second)
	handler.wait(core.EventClosed, 5*time.Second)
	assert.Equal(t, life, first.lifeKinds())
	assert.Equal(t, life, blocked.lifeKinds(), "the blocked listener got every event, in order")
	assert.Equal(t, first.kinds(), blocked.kinds(), "the same events, failed attempts included")
	assert.Equal(t, append([]core.EventKind{core.EventConnected}, life...), handler.lifeKinds())
	assert.Equal(t, life[:2], second.lifeKinds(), "nothing after remove")
	for _, l := range []*eventRec{handler, first, second, blocked} {
		assert.False(t, l.overlap.Load(), "a listener ran concurrently with itself")
	}

	// A listener that comes late still learns the Conn is closed.
	late := newEventRec(t)
	nc.AddEventListener(late.handle)
	late.wait(core.EventClosed, 5*time.Second)
	assert.NoError(t, late.all()[0].Err)
	nc.AddEventListener(nil)() // ignored
}

// TestEventListenerRemovesItself removes a listener from its own call: no
// deadlock, and no call after.
func TestEventListenerRemovesItself(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL(), fastReconnect()...)
	calls := make(chan core.Event, 16)
	var remove func()
	got := make(chan struct{})
	ready := make(chan struct{})
	remove = nc.AddEventListener(func(ev core.Event) {
		<-ready
		calls <- ev
		remove()
		close(got)
	})
	other := newEventRec(t)
	nc.AddEventListener(other.handle)
	close(ready)
	require.NoError(t, nc.ForceReconnect())
	recv(t, got)
	other.wait(core.EventReconnected, 10*time.Second)
	require.NoError(t, nc.ForceReconnect())
	other.wait(core.EventReconnected, 10*time.Second)
	nc.Close()
	other.wait(core.EventClosed, 5*time.Second)
	assert.Len(t, calls, 1, "called after it removed itself")
}
