package interop

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// longSubject returns a literal subject of exactly n bytes.
func longSubject(n int) string { return "long." + strings.Repeat("x", n-len("long.")) }

// nats-server applies max_control_line to the arguments of what a client
// sends (PUB's "<subject> <reply> <size>"); the MSG line it delivers adds
// "MSG " and the subscriber's sid, so a message published at the limit
// reaches subscribers on a longer line, and a server configured with a
// larger max_control_line (it is not announced in INFO) sends longer lines
// still. nats.go reads them; so must Starling, without losing the session.
func TestLongControlLinesBothWays(t *testing.T) {
	t.Parallel()
	const reply, data = "reply.to", "hi"
	for _, tc := range []struct {
		name    string
		opts    []harness.Option
		client  []core.Option // the server does not announce its limit
		subject int
	}{
		// PUB arguments of exactly 4096 bytes: "<subject> reply.to 2".
		{"default max_control_line", nil, nil, 4096 - len(" "+reply+" 2")},
		{"max_control_line 16384", []harness.Option{harness.WithConfig("max_control_line: 16384")},
			[]core.Option{core.WithMaxControlLine(16384)}, 8000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := harness.RunServer(t, tc.opts...)
			var downs atomic.Int64
			sc := connectStarling(t, s.ClientURL(), append(tc.client, core.WithEventHandler(func(ev core.Event) {
				if ev.Kind == core.EventDisconnected {
					downs.Add(1)
				}
			}))...)
			nc := connectNats(t, s.ClientURL())
			subj := longSubject(tc.subject)
			_, sin := subscribeStarling(t, sc, starlingSync, subj)
			_, nin := subscribeNats(t, nc, natsSync, subj, "")
			flushStarling(t, sc)
			flushNats(t, nc)

			require.NoError(t, nc.PublishRequest(subj, reply, []byte(data)))
			flushNats(t, nc)
			require.NoError(t, sc.PublishRequest(subj, reply, []byte(data)))
			// The server sends nats.go's message before the PONG of this
			// flush: a session lost over it shows here.
			flushStarling(t, sc)
			require.Zero(t, downs.Load(), "Starling lost its session over a message the server sent")
			for _, in := range []*inbox{sin, nin} {
				for range 2 {
					g := in.next(t, "long subject")
					assert.Equal(t, subj, g.Subject)
					assert.Equal(t, reply, g.Reply)
					assert.Equal(t, data, string(g.Data))
				}
			}
			assert.Zero(t, downs.Load())
		})
	}
}

// A subscription whose SUB line is longer than the server's
// max_control_line makes the server answer -ERR 'Maximum Control Line
// Exceeded' and close the connection. nats.go then closes for good with
// that error. Starling must not do worse: it may refuse the subject, drop
// the subscription or close, but reconnecting and sending the same SUB
// again, forever and without backoff, hammers the server and leaves the
// Conn unusable.
func TestSubscribeBeyondServerControlLine(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	// SUB arguments "<subject> <sid>" of more than 4096 bytes.
	subj := longSubject(4095)

	t.Run("nats.go", func(t *testing.T) {
		closed := make(chan struct{})
		nc := connectNats(t, s.ClientURL(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
		_, err := nc.SubscribeSync(subj)
		require.NoError(t, err)
		select {
		case <-closed:
		case <-time.After(testTimeout):
			t.Fatal("nats.go stayed open")
		}
		assert.ErrorContains(t, nc.LastError(), "maximum control line exceeded")
	})

	t.Run("starling", func(t *testing.T) {
		sc := connectStarling(t, s.ClientURL())
		// Refused up front, before the server could drop the connection
		// over it; the Conn stays usable.
		_, err := sc.SubscribeSync(subj)
		require.ErrorIs(t, err, core.ErrControlLineTooLong)
		assert.True(t, sc.IsConnected())
		if !sc.IsClosed() {
			flushStarling(t, sc) // still usable for everything else
		}
	})
}
