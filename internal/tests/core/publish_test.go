package core_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestPublishKinds(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("pub.>")
	require.NoError(t, err)
	flush(t, nc)

	require.NoError(t, nc.Publish("pub.plain", []byte("one")))
	require.NoError(t, nc.Publish("pub.empty", nil))
	require.NoError(t, nc.PublishRequest("pub.req", "pub.reply.here", []byte("two")))
	h := core.Header{}
	h.Set("K", "v")
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "pub.msg", Reply: "pub.reply.msg", Header: h, Data: []byte("three")}))
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "pub.nohdr", Data: []byte("four")}))
	// A header-only message: headers but no data.
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "pub.hdronly", Header: h}))

	m := next(t, sub)
	assert.Equal(t, "pub.plain", m.Subject)
	assert.Equal(t, "one", string(m.Data))
	assert.Equal(t, "", m.Reply)
	assert.Nil(t, m.Header)

	m = next(t, sub)
	assert.Equal(t, "pub.empty", m.Subject)
	assert.Empty(t, m.Data)

	m = next(t, sub)
	assert.Equal(t, "pub.req", m.Subject)
	assert.Equal(t, "pub.reply.here", m.Reply)
	assert.Equal(t, "two", string(m.Data))

	m = next(t, sub)
	assert.Equal(t, "pub.msg", m.Subject)
	assert.Equal(t, "pub.reply.msg", m.Reply)
	assert.Equal(t, "v", m.Header.Get("K"))
	assert.Equal(t, "three", string(m.Data))
	assert.Equal(t, 0, m.Status())

	m = next(t, sub)
	assert.Equal(t, "pub.nohdr", m.Subject)
	assert.Nil(t, m.Header)

	m = next(t, sub)
	assert.Equal(t, "pub.hdronly", m.Subject)
	assert.Equal(t, "v", m.Header.Get("K"))
	assert.Empty(t, m.Data)

	st := nc.Stats()
	assert.Equal(t, uint64(6), st.OutMsgs)
	assert.Equal(t, uint64(6), st.InMsgs)
}

func TestPublishBadSubject(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	before := nc.Stats().OutMsgs
	for _, subj := range []string{"", "a..b", ".a", "a.", "a.*", "a.>", "*", ">", "a b", "a\tb", "a\r\nb", "a\nPUB x 1"} {
		assert.ErrorIs(t, nc.Publish(subj, []byte("x")), core.ErrBadSubject, "%q", subj)
		assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: subj}), core.ErrBadSubject, "%q", subj)
		assert.ErrorIs(t, nc.PublishRequest(subj, "reply", nil), core.ErrBadSubject, "%q", subj)
	}
	for _, reply := range []string{"a b", "r.*", "r.>", "a..b", "a\r\n"} {
		assert.ErrorIs(t, nc.PublishRequest("ok", reply, nil), core.ErrBadSubject, "reply %q", reply)
		assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "ok", Reply: reply}), core.ErrBadSubject, "reply %q", reply)
	}
	assert.Equal(t, before, nc.Stats().OutMsgs, "nothing was sent")
	assert.Equal(t, 0, nc.Buffered())
	// The connection is fine.
	flush(t, nc)
	assert.True(t, nc.IsConnected())
}

func TestPublishSkipSubjectValidation(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL(), core.WithSkipSubjectValidation())
	sub, err := nc.SubscribeSync("skip.*")
	require.NoError(t, err)
	// A wildcard publish is the server's business now (it accepts it
	// without pedantic mode, and delivers it literally).
	require.NoError(t, nc.Publish("skip.*", []byte("x")))
	assert.Equal(t, "skip.*", next(t, sub).Subject)
}

func TestPublishMaxPayload(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithMaxPayload(1024))
	nc := connect(t, s.ClientURL())
	assert.Equal(t, int64(1024), nc.MaxPayload())
	sub, err := nc.SubscribeSync("big")
	require.NoError(t, err)
	flush(t, nc)
	before := nc.Stats()

	assert.ErrorIs(t, nc.Publish("big", make([]byte, 1025)), core.ErrMaxPayload)
	assert.ErrorIs(t, nc.PublishRequest("big", "r", make([]byte, 4096)), core.ErrMaxPayload)
	// Headers count: 1000 bytes of data fit, not with a 100-byte header.
	h := core.Header{"Pad": {string(bytes.Repeat([]byte("p"), 100))}}
	assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "big", Header: h, Data: make([]byte, 1000)}), core.ErrMaxPayload)
	assert.Equal(t, before.OutMsgs, nc.Stats().OutMsgs, "nothing sent")
	assert.Equal(t, 0, nc.Buffered())

	// Exactly max_payload is fine, and the connection never noticed.
	require.NoError(t, nc.Publish("big", make([]byte, 1024)))
	m := next(t, sub)
	assert.Len(t, m.Data, 1024)
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "big", Header: h, Data: make([]byte, 100)}))
	assert.Len(t, next(t, sub).Data, 100)
	assert.True(t, nc.IsConnected())
	assert.Equal(t, uint64(0), nc.Stats().Reconnects)
}

func TestPublishBadHeader(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	for name, h := range map[string]core.Header{
		"value CR":     {"K": {"a\rb"}},
		"value LF":     {"K": {"a\nb"}},
		"value CRLF":   {"K": {"ok", "a\r\nInjected: yes"}},
		"key colon":    {"K:x": {"v"}},
		"key space":    {"K x": {"v"}},
		"key empty":    {"": {"v"}},
		"key newline":  {"K\r\n": {"v"}},
		"key non-char": {"K\x7f": {"v"}},
	} {
		assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "h", Header: h}), core.ErrBadHeader, name)
		_, err := nc.RequestMsg(testCtx(t, time.Second), &core.Msg{Subject: "h", Header: h})
		assert.ErrorIs(t, err, core.ErrBadHeader, name)
	}
	assert.Equal(t, uint64(0), nc.Stats().OutMsgs)
	flush(t, nc)
}

// TestPublishHeadersNotSupported runs against a server with headers turned
// off (no_header_support): the client must still connect (no_responders
// needs headers, so it must not ask for it), and refuse messages with
// headers itself.
func TestPublishHeadersNotSupported(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithConfig("no_header_support: true"))
	d := newRecordingDialer()
	nc := connect(t, s.ClientURL(), core.WithDialer(d))
	assert.False(t, nc.HeadersSupported())
	co := connectLine(t, d.written())
	assert.Contains(t, string(co), `"headers":false`)
	assert.Contains(t, string(co), `"no_responders":false`)

	h := core.Header{"K": {"v"}}
	assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "h", Header: h}), core.ErrHeadersNotSupported)
	_, err := nc.RequestMsg(testCtx(t, time.Second), &core.Msg{Subject: "h", Header: h})
	assert.ErrorIs(t, err, core.ErrHeadersNotSupported)

	// Messages without headers are fine.
	sub, err := nc.SubscribeSync("h")
	require.NoError(t, err)
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "h", Data: []byte("x")}))
	assert.Equal(t, "x", string(next(t, sub).Data))
	// Without headers there is no 503: a request to nobody runs out of time.
	_, err = nc.Request(testCtx(t, 200*time.Millisecond), "nobody", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestPublishAfterClose(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	nc.Close()
	assert.ErrorIs(t, nc.Publish("x", nil), core.ErrConnectionClosed)
	assert.ErrorIs(t, nc.PublishMsg(&core.Msg{Subject: "x"}), core.ErrConnectionClosed)
	assert.ErrorIs(t, nc.PublishRequest("x", "y", nil), core.ErrConnectionClosed)
}

func TestPublishStats(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("stats")
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		require.NoError(t, nc.Publish("stats", []byte("12345")))
	}
	h := core.Header{"K": {"v"}}
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "stats", Header: h, Data: []byte("12345")}))
	for i := 0; i < 11; i++ {
		next(t, sub)
	}
	hdrLen := uint64(len(h.Append(nil)))
	st := nc.Stats()
	assert.Equal(t, uint64(11), st.OutMsgs)
	assert.Equal(t, uint64(11), st.InMsgs)
	assert.Equal(t, 55+hdrLen, st.OutBytes)
	assert.Equal(t, 55+hdrLen, st.InBytes)
	assert.Equal(t, uint64(0), st.Reconnects)
}
