package core_test

import (
	"testing"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every failed reconnect attempt is an event naming the server tried and why it failed,
// so a user can log or alert on a reconnect that keeps failing (nats.go's
// ReconnectErrHandler); the attempts stop at the reconnect.
func TestSessionReconnectFailedEvents(t *testing.T) {
	s := harness.RunServer(t)
	log := newSessionLog()
	nc := connect(t, s.ClientURL(), append(fastReconnect(), log.option())...)
	require.Equal(t, core.StatusConnected, nc.Status())

	s.Shutdown()
	log.waitN(t, core.EventDisconnected, 1, 5*time.Second)
	log.waitN(t, core.EventReconnectFailed, 3, 10*time.Second)
	s.Restart()
	log.waitN(t, core.EventReconnected, 1, 10*time.Second)

	evs := log.all()
	failedAfter := 0
	var reconnected bool
	for _, ev := range evs {
		switch ev.Kind {
		case core.EventReconnected:
			reconnected = true
		case core.EventReconnectFailed:
			assert.Equal(t, s.ClientURL(), ev.Server)
			assert.Error(t, ev.Err, "a failed attempt says why")
			if reconnected {
				failedAfter++
			}
		}
	}
	assert.Zero(t, failedAfter, "no failed attempt is reported after the reconnect: %v", kinds(evs))
	assert.Equal(t, "reconnect failed", core.EventReconnectFailed.String())
}
