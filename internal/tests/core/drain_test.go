package core_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// TestDrainConn drains a Conn with work in every stage: messages queued
// for a slow handler and for Next, and publishes still buffered. Everything
// is delivered and sent, then the Conn is closed.
func TestDrainConn(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option())
	other := connect(t, s.ClientURL())
	const n = 300

	var handled atomic.Int32
	slow, err := nc.Subscribe("drain.slow", func(m *core.Msg) {
		time.Sleep(200 * time.Microsecond)
		handled.Add(1)
		// Handlers may still publish while the drain waits for them.
		assert.NoError(t, m.Respond([]byte("ok")))
	})
	require.NoError(t, err)
	pull, err := nc.SubscribeSync("drain.pull")
	require.NoError(t, err)
	out, err := other.SubscribeSync("drain.out")
	require.NoError(t, err)
	replies, err := other.SubscribeSync("drain.replies")
	require.NoError(t, err)
	flush(t, nc)
	flush(t, other)

	for i := 0; i < n; i++ {
		require.NoError(t, other.PublishRequest("drain.slow", "drain.replies", nil))
		require.NoError(t, other.Publish("drain.pull", []byte(strconv.Itoa(i))))
	}
	flush(t, other)
	flush(t, nc) // all of them reached nc's queues
	for i := 0; i < n; i++ {
		require.NoError(t, nc.Publish("drain.out", []byte(strconv.Itoa(i))))
	}

	// Pull the pull subscription's messages while Drain runs.
	var pulled []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range pull.Messages(context.Background()) {
			if err != nil {
				return
			}
			pulled = append(pulled, string(m.Data))
		}
	}()

	require.NoError(t, nc.Drain(testCtx(t, 10*time.Second)))
	wg.Wait()
	assert.Equal(t, core.StatusClosed, nc.Status())
	recv(t, nc.Closed())
	assert.NoError(t, nc.Err())
	assert.Equal(t, int32(n), handled.Load(), "every queued message was handled")
	assert.Equal(t, seq(n), pulled, "every message sent before Drain was pulled")
	recv(t, slow.Done())
	recv(t, pull.Done())
	// The buffered publishes and the handlers' replies were flushed.
	for i := 0; i < n; i++ {
		assert.Equal(t, strconv.Itoa(i), string(next(t, out).Data))
	}
	for i := 0; i < n; i++ {
		assert.Equal(t, "ok", string(next(t, replies).Data))
	}
	ev := events.wait(core.EventClosed, 5*time.Second)
	assert.NoError(t, ev.Err)
}

func TestDrainConnRefusesNewWork(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	release := make(chan struct{})
	entered := make(chan struct{})
	_, err := nc.Subscribe("drain.block", func(*core.Msg) { close(entered); <-release })
	require.NoError(t, err)
	require.NoError(t, nc.Publish("drain.block", nil))
	recv(t, entered)

	drained := make(chan error, 1)
	go func() { drained <- nc.Drain(testCtx(t, 10*time.Second)) }()
	require.Eventually(t, nc.IsDraining, 5*time.Second, time.Millisecond)
	assert.Equal(t, core.StatusDraining, nc.Status())
	_, err = nc.SubscribeSync("drain.new")
	assert.ErrorIs(t, err, core.ErrConnectionDraining)
	assert.ErrorIs(t, nc.Drain(testCtx(t, time.Second)), core.ErrConnectionDraining)
	// Publishing and requests still work until the final flush.
	require.NoError(t, nc.Publish("drain.still", nil))
	close(release)
	require.NoError(t, recv(t, drained))
	assert.False(t, nc.IsDraining())
	assert.True(t, nc.IsClosed())
}

func TestDrainConnBoundedByContext(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option())
	release := make(chan struct{})
	defer close(release)
	_, err := nc.Subscribe("drain.stuck", func(*core.Msg) { <-release })
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, nc.Publish("drain.stuck", nil))
	}
	flush(t, nc)
	start := time.Now()
	err = nc.Drain(testCtx(t, 200*time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.True(t, nc.IsClosed(), "Drain closes the Conn even when ctx ends first")
	recv(t, nc.Closed())
	events.wait(core.EventClosed, 5*time.Second)
}

func TestDrainConnWithRequestsInFlight(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	echoService(t, srv, "drain.echo")
	nc := connect(t, s.ClientURL())
	// The shared inbox must keep working during a drain (it is internal).
	r, err := nc.Request(testCtx(t, 5*time.Second), "drain.echo", []byte("before"))
	require.NoError(t, err)
	assert.Equal(t, "re:before", string(r.Data))
	// A handler that makes a request while the Conn drains.
	got := make(chan string, 1)
	draining := make(chan struct{})
	_, err = nc.Subscribe("drain.trigger", func(m *core.Msg) {
		<-draining
		r, err := nc.Request(testCtx(t, 5*time.Second), "drain.echo", []byte("during"))
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(r.Data)
	})
	require.NoError(t, err)
	require.NoError(t, nc.Publish("drain.trigger", nil))
	flush(t, nc)
	drained := make(chan error, 1)
	go func() { drained <- nc.Drain(testCtx(t, 10*time.Second)) }()
	require.Eventually(t, nc.IsDraining, 5*time.Second, time.Millisecond)
	close(draining)
	require.NoError(t, recv(t, drained))
	assert.Equal(t, "re:during", recv(t, got))
}
