package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// Hostile input that a real nats-server never sends, on the scripted fake.
// Like the other hostile tests these do not run in parallel.

// TestHostileNonNumericSID: a MSG whose sid is not a number names no
// subscription this client made. It used to vanish without a trace; it is
// now an async protocol error, and the session goes on.
func TestHostileNonNumericSID(t *testing.T) {
	fs := newFakeServer(t, script(handshake(nil), awaitSub("foo", func(sid string) []byte {
		return append([]byte("MSG foo abc 4\r\nlost\r\n"), codec.AppendMsg(nil, "foo", sidOf(sid), "", []byte("kept"))...)
	}), pause(5*time.Second)))
	tr := newEventTrace()
	nc := connectFake(t, fs, tr.option())
	sub, err := nc.SubscribeSync("foo")
	require.NoError(t, err)
	ev := tr.wait(t, core.EventAsyncError, 5*time.Second)
	var pe *codec.ProtocolError
	require.ErrorAs(t, ev.Err, &pe)
	assert.ErrorIs(t, ev.Err, codec.ErrMalformed)
	assert.Equal(t, "MSG", pe.Op)
	assert.Contains(t, pe.Reason, `"abc"`)
	assert.Equal(t, "kept", string(next(t, sub).Data), "the session goes on")
	assert.True(t, nc.IsConnected())
	assert.Zero(t, tr.count(core.EventDisconnected))
}

// TestHostileMaxPayloadNotPositive: an INFO with a max_payload of zero or
// less used to switch Publish's size check off while the reader kept its
// 1 MiB default. Such a server is refused at connect, before any credentials
// are sent.
func TestHostileMaxPayloadNotPositive(t *testing.T) {
	for _, mp := range []int{0, -1} {
		t.Run(itoa(mp), func(t *testing.T) {
			err := connectFails(t, promptBound, script(sendBadInfo(func(i *codec.ServerInfo) { i.MaxPayload = mp }),
				pause(5*time.Second)), core.WithUserInfo("u", "secret"))
			assert.ErrorIs(t, err, core.ErrInvalidServerInfo)
			assert.Contains(t, err.Error(), "max_payload "+itoa(mp))
		})
	}
	// Mid-session, such an INFO is no limit: the one in force stays, for
	// Publish and for the reader alike, and ServerInfo says so.
	t.Run("async", func(t *testing.T) {
		fs := newFakeServer(t, script(handshake(nil),
			sendInfo(func(i *codec.ServerInfo) { i.MaxPayload = 0; i.ServerName = "changed" }),
			pause(5*time.Second)))
		nc := connectFake(t, fs)
		require.Eventually(t, func() bool { return nc.ServerName() == "changed" }, 5*time.Second, time.Millisecond)
		assert.Equal(t, int64(1<<20), nc.MaxPayload())
		assert.Equal(t, 1<<20, nc.ServerInfo().MaxPayload)
		assert.ErrorIs(t, nc.Publish("big", make([]byte, 1<<20+1)), core.ErrMaxPayload)
	})
}

// TestHostileStaleRules: each keep-alive rule that ends a session says
// which one it was, through *core.StaleConnectionError.
func TestHostileStaleRules(t *testing.T) {
	rule := func(t *testing.T, err error) core.StaleRule {
		t.Helper()
		var se *core.StaleConnectionError
		require.ErrorAs(t, err, &se)
		assert.ErrorIs(t, err, core.ErrStaleConnection)
		assert.True(t, core.IsTemporary(err))
		return se.Rule
	}
	t.Run("pings unanswered", func(t *testing.T) {
		err := killed(t, script(handshake(nil), noPongs(), expectBad(codec.OpPing), expect(codec.OpPing), pause(5*time.Second)),
			core.WithPingInterval(50*time.Millisecond), core.WithMaxPingsOut(2))
		assert.Equal(t, core.StalePingsUnanswered, rule(t, err))
	})
	t.Run("reported by the server", func(t *testing.T) {
		err := killed(t, script(handshake(nil), sendBad([]byte("-ERR 'Stale Connection'\r\n")), pause(5*time.Second)))
		assert.Equal(t, core.StaleServerReported, rule(t, err))
		var srv *core.ServerError
		require.True(t, errors.As(err, &srv), "the server's -ERR is kept: %v", err)
		assert.Equal(t, core.ServerErrStaleConnection, srv.Kind)
	})
}
