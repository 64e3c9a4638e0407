package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// A WebSocket session survives a server restart like a TCP one.
func TestSessionWebSocketReconnect(t *testing.T) {
	s := harness.RunServer(t, harness.WithWebSocket(harness.WSCompression()))
	log := newSessionLog()
	nc := connect(t, s.WebSocketURL(), append(fastReconnect(), log.option(), core.WithWebSocketCompression())...)
	sub, err := nc.SubscribeSync("ws.restart")
	require.NoError(t, err)
	flush(t, nc)
	s.Restart()
	log.waitN(t, core.EventReconnected, 1, 10*time.Second)
	require.NoError(t, nc.Publish("ws.restart", []byte("after")))
	m, err := sub.Next(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "after", string(m.Data))
	assert.Contains(t, nc.ConnectedURL(), "ws://")
}
