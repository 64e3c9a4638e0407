package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// Ops longer than the server's max_control_line are refused by the client
// instead of costing the connection.
func TestControlLineTooLong(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	long := strings.Repeat("a", core.DefaultMaxControlLine)
	_, err := nc.SubscribeSync(long)
	require.ErrorIs(t, err, core.ErrControlLineTooLong)
	require.ErrorIs(t, nc.Publish(long, []byte("x")), core.ErrControlLineTooLong)
	require.ErrorIs(t, nc.PublishRequest("ok", long, nil), core.ErrControlLineTooLong)

	// The longest PUB arguments the server accepts pass: "subject reply 2"
	// of exactly 4096 bytes.
	reply := "reply.to"
	subject := strings.Repeat("b", core.DefaultMaxControlLine-len(reply)-1-1-1)
	require.NoError(t, nc.PublishRequest(subject, reply, []byte("hi")))
	flush(t, nc)
	assert.True(t, nc.IsConnected())

	// A server configured for longer lines, and a client told so.
	big := harness.RunServer(t, harness.WithConfig("max_control_line: 16384"))
	wide := connect(t, big.ClientURL(), core.WithMaxControlLine(16384))
	ws, err := wide.SubscribeSync(long)
	require.NoError(t, err)
	require.NoError(t, wide.Publish(long, []byte("long")))
	m, err := ws.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, long, m.Subject)
}

// A server that accepts the connection and then drops it (here: over a
// subscription it refuses, because the client was told a wrong
// max_control_line) meets backoff and, after MaxReconnects, the Conn gives
// up; it never spins.
func TestSessionShortSessionsBackOff(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), log.option(), core.WithMaxControlLine(16384),
		core.WithReconnectWait(20*time.Millisecond, 100*time.Millisecond), core.WithMaxReconnects(5))
	_, err := nc.SubscribeSync(strings.Repeat("c", 5000))
	require.NoError(t, err)

	ev, _ := log.waitN(t, core.EventClosed, 1, 10*time.Second)
	require.Error(t, ev.Err)
	disconnects := log.count(core.EventDisconnected)
	t.Logf("closed after %d short sessions: %v", disconnects, ev.Err)
	assert.LessOrEqual(t, disconnects, 7, "sessions are bounded by MaxReconnects")
	assert.ErrorIs(t, ev.Err, core.ErrNoServers)
	var se *core.ServerError
	require.ErrorAs(t, ev.Err, &se, "the cause is kept")
	assert.Equal(t, core.ServerErrMaxControlLine, se.Kind)
}
