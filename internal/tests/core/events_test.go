package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// TestEventsLifecycleInOrder walks a Conn through its life and checks the
// events come in order, one at a time, each with its details.
func TestEventsLifecycleInOrder(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option(), core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond))
	ev := events.wait(core.EventConnected, 5*time.Second)
	assert.Equal(t, s.ClientURL(), ev.Server)
	assert.NoError(t, ev.Err)

	s.Restart()
	ev = events.wait(core.EventDisconnected, 5*time.Second)
	assert.Error(t, ev.Err, "disconnected says why")
	assert.Equal(t, s.ClientURL(), ev.Server)
	ev = events.wait(core.EventReconnected, 10*time.Second)
	assert.Equal(t, s.ClientURL(), ev.Server)

	nc.Close()
	ev = events.wait(core.EventClosed, 5*time.Second)
	assert.NoError(t, ev.Err)
	recv(t, nc.Closed())
	// Nothing after Closed.
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, []core.EventKind{core.EventConnected, core.EventDisconnected, core.EventReconnected, core.EventClosed}, events.lifeKinds())
	assert.False(t, events.overlap.Load(), "event handler ran concurrently with itself")
}

// TestEventsSerialUnderLoad floods the event handler (slow consumers on many
// subscriptions while the handler is slow) and checks it never overlaps.
func TestEventsSerialUnderLoad(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	slowHandler := func(ev core.Event) {
		events.handle(ev)
		time.Sleep(time.Millisecond)
	}
	nc := connect(t, s.ClientURL(), core.WithEventHandler(slowHandler))
	block := make(chan struct{})
	defer close(block)
	const subs = 50
	for i := 0; i < subs; i++ {
		_, err := nc.Subscribe("load."+itoa(i), func(*core.Msg) { <-block }, core.PendingLimits(1, 0))
		require.NoError(t, err)
	}
	for round := 0; round < 3; round++ {
		for i := 0; i < subs; i++ {
			require.NoError(t, nc.Publish("load."+itoa(i), nil))
		}
	}
	flush(t, nc)
	// Each subscription: one message in the handler, one queued, one
	// dropped: one slow-consumer episode each.
	require.Eventually(t, func() bool { return events.count(core.EventSlowConsumer) == subs }, 5*time.Second, time.Millisecond)
	assert.False(t, events.overlap.Load())
	seen := map[*core.Subscription]bool{}
	for _, ev := range events.all() {
		if ev.Kind == core.EventSlowConsumer {
			assert.False(t, seen[ev.Sub], "two events for one episode")
			seen[ev.Sub] = true
		}
	}
}

const permissionsConfig = `
authorization {
  users: [
    {user: limited, password: pw, permissions: {
      publish: {deny: ["secret.>"]}
      subscribe: {deny: ["hidden.>"]}
    }}
  ]
}
`

func TestEventsPermissionViolations(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithConfig(permissionsConfig))
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), core.WithUserInfo("limited", "pw"), events.option())
	events.wait(core.EventConnected, 5*time.Second)

	// Publish: the server refuses with -ERR and keeps the connection.
	require.NoError(t, nc.Publish("secret.plans", []byte("x")))
	flush(t, nc)
	ev := events.wait(core.EventAsyncError, 5*time.Second)
	assert.ErrorIs(t, ev.Err, core.ErrPermissionViolation)
	var se *core.ServerError
	require.ErrorAs(t, ev.Err, &se)
	assert.Equal(t, core.ServerErrPermissions, se.Kind)
	assert.Equal(t, "secret.plans", se.Subject)
	assert.True(t, se.Publish)
	assert.False(t, se.Fatal())
	assert.Nil(t, ev.Sub)
	assert.Contains(t, ev.Err.Error(), "secret.plans")

	// Subscribe: the event names the subscription.
	sub, err := nc.SubscribeSync("hidden.things")
	require.NoError(t, err)
	flush(t, nc)
	ev = events.wait(core.EventAsyncError, 5*time.Second)
	assert.Same(t, sub, ev.Sub)
	assert.ErrorIs(t, ev.Err, core.ErrPermissionViolation)
	var sube *core.SubscriptionError
	require.ErrorAs(t, ev.Err, &sube)
	assert.Equal(t, "hidden.things", sube.Subject)
	require.ErrorAs(t, ev.Err, &se)
	assert.False(t, se.Publish)
	assert.Equal(t, "hidden.things", se.Subject)
	// The server never created it: the subscription ends with the reason.
	_, err = sub.Next(testCtx(t, 5*time.Second))
	assert.ErrorIs(t, err, core.ErrPermissionViolation)
	assert.ErrorIs(t, sub.Err(), core.ErrPermissionViolation)
	assert.False(t, sub.IsValid())
	<-sub.Done()

	// A queue subscription: the queue is named too.
	qsub, err := nc.SubscribeSync("hidden.work", core.Queue("q1"))
	require.NoError(t, err)
	flush(t, nc)
	ev = events.wait(core.EventAsyncError, 5*time.Second)
	assert.Same(t, qsub, ev.Sub)
	require.ErrorAs(t, ev.Err, &se)
	assert.Equal(t, "hidden.work", se.Subject)
	assert.Equal(t, "q1", se.Queue)

	// The connection stayed open the whole time.
	assert.True(t, nc.IsConnected())
	assert.Equal(t, uint64(0), nc.Stats().Reconnects)
	assert.Equal(t, 0, events.count(core.EventDisconnected))
	ok, err := nc.SubscribeSync("open.ok")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("open.ok", []byte("fine")))
	assert.Equal(t, "fine", string(next(t, ok).Data))
	assert.False(t, events.overlap.Load())
}
