package interop

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// signal is a buffered notification that never blocks its sender.
type signal chan struct{}

func newSignal() signal { return make(signal, 64) }

func (s signal) fire() {
	select {
	case s <- struct{}{}:
	default:
	}
}

func (s signal) wait(t testing.TB, what string) {
	t.Helper()
	select {
	case <-s:
	case <-time.After(testTimeout):
		t.Fatalf("%s: not within %v", what, testTimeout)
	}
}

// starlingEvents returns the options that make a Starling client reconnect
// fast and report its disconnections and reconnections.
func starlingEvents(down, up signal) []core.Option {
	return []core.Option{
		core.WithReconnectWait(10*time.Millisecond, 100*time.Millisecond),
		core.WithEventHandler(func(ev core.Event) {
			switch ev.Kind {
			case core.EventDisconnected:
				down.fire()
			case core.EventReconnected:
				up.fire()
			}
		}),
	}
}

// natsEvents is the same for nats.go.
func natsEvents(down, up signal) []nats.Option {
	return []nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { down.fire() }),
		nats.ReconnectHandler(func(*nats.Conn) { up.fire() }),
	}
}

// Both clients reconnect after the server restarts, restore their
// subscriptions (the request inboxes included) and talk to each other again.
func TestReconnectAfterRestart(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sDown, sUp, nDown, nUp := newSignal(), newSignal(), newSignal(), newSignal()
	sc := connectStarling(t, s.ClientURL(), starlingEvents(sDown, sUp)...)
	nc := connectNats(t, s.ClientURL(), natsEvents(nDown, nUp)...)

	_, toStarling := subscribeStarling(t, sc, starlingBorrowed, "rc.to.starling")
	_, toNats := subscribeNats(t, nc, natsAsync, "rc.to.natsgo", "")
	starlingResponder(t, sc, starlingOwned, "rc.svc.starling")
	_, err := nc.Subscribe("rc.svc.natsgo", func(m *nats.Msg) { _ = m.Respond(append([]byte("echo:"), m.Data...)) })
	require.NoError(t, err)
	flushStarling(t, sc)
	flushNats(t, nc)

	exchange := func(round string) {
		t.Helper()
		require.NoError(t, sc.Publish("rc.to.natsgo", []byte(round)))
		require.NoError(t, nc.Publish("rc.to.starling", []byte(round)))
		assert.Equal(t, round, string(toNats.next(t, "nats.go receives "+round).Data))
		assert.Equal(t, round, string(toStarling.next(t, "Starling receives "+round).Data))
		ctx := testCtx(t)
		r, err := sc.Request(ctx, "rc.svc.natsgo", []byte(round))
		require.NoError(t, err, "Starling requests after %s", round)
		assert.Equal(t, "echo:"+round, string(r.Data))
		nr, err := nc.RequestWithContext(ctx, "rc.svc.starling", []byte(round))
		require.NoError(t, err, "nats.go requests after %s", round)
		assert.Equal(t, "echo:"+round, string(nr.Data))
	}
	exchange("before")

	for i := range 2 {
		s.Restart()
		sDown.wait(t, "Starling disconnected")
		nDown.wait(t, "nats.go disconnected")
		sUp.wait(t, "Starling reconnected")
		nUp.wait(t, "nats.go reconnected")
		// Each client's PING follows its resubscriptions: after the PONG the
		// server has them.
		flushStarling(t, sc)
		flushNats(t, nc)
		exchange("restart-" + strconv.Itoa(i))
	}
	assert.EqualValues(t, 2, sc.Stats().Reconnects)
	assert.EqualValues(t, 2, nc.Stats().Reconnects)
	assert.Equal(t, core.StatusConnected, sc.Status())
}

// gate holds a client's reconnect attempts until opened, so the test can
// choose which client returns first.
type gate struct {
	reached signal
	open    chan struct{}
	once    sync.Once
}

func newGate(t testing.TB) *gate {
	g := &gate{reached: newSignal(), open: make(chan struct{})}
	t.Cleanup(g.release) // never leave a reconnect loop blocked
	return g
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// delay is a reconnect-delay callback for either client.
func (g *gate) delay(int) time.Duration {
	g.reached.fire()
	<-g.open
	return 10 * time.Millisecond
}

// Publishes made while the server is down are held by each client and sent
// after it reconnects; the other client, back first with its subscription
// restored, receives every one of them, in order.
func TestReconnectReplaysHeldPublishes(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	const held = 50

	// Receivers reconnect at once; publishers wait at a gate.
	rsDown, rsUp, rnDown, rnUp := newSignal(), newSignal(), newSignal(), newSignal()
	recvS := connectStarling(t, s.ClientURL(), starlingEvents(rsDown, rsUp)...)
	recvN := connectNats(t, s.ClientURL(), natsEvents(rnDown, rnUp)...)
	sGate, nGate := newGate(t), newGate(t)
	psDown, psUp, pnDown, pnUp := newSignal(), newSignal(), newSignal(), newSignal()
	pubS := connectStarling(t, s.ClientURL(), append(starlingEvents(psDown, psUp), core.WithReconnectDelay(sGate.delay))...)
	pubN := connectNats(t, s.ClientURL(), append(natsEvents(pnDown, pnUp), nats.CustomReconnectDelay(nGate.delay))...)

	_, toStarling := subscribeStarling(t, recvS, starlingSync, "held.to.starling")
	_, toNats := subscribeNats(t, recvN, natsSync, "held.to.natsgo", "")
	flushStarling(t, recvS)
	flushNats(t, recvN)

	s.Shutdown()
	for _, w := range []struct {
		s    signal
		what string
	}{{rsDown, "Starling receiver down"}, {rnDown, "nats.go receiver down"}, {psDown, "Starling publisher down"}, {pnDown, "nats.go publisher down"}} {
		w.s.wait(t, w.what)
	}
	// Past the gate's first call, a publisher has given up on the server
	// while it was down and cannot reconnect before the gate opens.
	sGate.reached.wait(t, "Starling publisher at the gate")
	nGate.reached.wait(t, "nats.go publisher at the gate")

	data := func(i int) []byte { return append([]byte(strconv.Itoa(i)+":"), payload(100, uint64(i))...) }
	for i := range held {
		require.NoError(t, pubS.Publish("held.to.natsgo", data(i)), "Starling holds publishes while disconnected")
		require.NoError(t, pubN.Publish("held.to.starling", data(i)), "nats.go holds publishes while disconnected")
	}
	assert.Positive(t, pubS.Buffered())
	assert.Equal(t, core.StatusReconnecting, pubS.Status())

	s.Restart()
	rsUp.wait(t, "Starling receiver reconnected")
	rnUp.wait(t, "nats.go receiver reconnected")
	flushStarling(t, recvS)
	flushNats(t, recvN)

	sGate.release()
	nGate.release()
	psUp.wait(t, "Starling publisher reconnected")
	pnUp.wait(t, "nats.go publisher reconnected")

	for i := range held {
		requireData(t, data(i), toNats.next(t, "nats.go receives held publish "+strconv.Itoa(i)).Data, "held Starling publish")
		requireData(t, data(i), toStarling.next(t, "Starling receives held publish "+strconv.Itoa(i)).Data, "held nats.go publish")
	}
	flushStarling(t, pubS)
	flushNats(t, pubN)
	flushStarling(t, recvS)
	flushNats(t, recvN)
	toNats.empty(t, "nats.go after the held publishes")
	toStarling.empty(t, "Starling after the held publishes")
	assert.Zero(t, pubS.Buffered())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := pubS.RTT(ctx)
	assert.NoError(t, err)
}
