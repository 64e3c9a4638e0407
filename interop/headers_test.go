package interop

import (
	"bytes"
	"slices"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// richHeader exercises what headers may carry between the two clients:
// several values for one key in order, keys whose case must survive
// (ADR-4: header names are case-sensitive), two keys equal but for case,
// UTF-8 and colons in values, an empty value, and the keys JetStream uses.
func richHeader() map[string][]string {
	return map[string][]string{
		"X-Multi":        {"one", "two", "three"},
		"lower-case-key": {"v"},
		"MiXeD-CaSe":     {"Value With Spaces"},
		"x-dup":          {"lower"},
		"X-Dup":          {"upper"},
		"X-Utf8":         {"héllo wörld ✓"},
		"X-Colon":        {"a: b: c"},
		"X-Empty":        {""},
		"Nats-Msg-Id":    {"abc-123"},
	}
}

// checkBorrowedView checks the zero-copy HeaderView against richHeader:
// exact-case lookups, case-folded lookups, and multi-value order.
func checkBorrowedView(t *testing.T, h codec.HeaderView) {
	t.Helper()
	assert.Equal(t, "Value With Spaces", string(h.Get("MiXeD-CaSe")))
	assert.Nil(t, h.Get("mixed-case"), "Get is case-sensitive")
	assert.Equal(t, "Value With Spaces", string(h.GetFold("mixed-case")))
	assert.Equal(t, "lower", string(h.Get("x-dup")))
	assert.Equal(t, "upper", string(h.Get("X-Dup")))
	var multi []string
	for v := range h.Values("X-Multi") {
		multi = append(multi, string(v))
	}
	assert.Equal(t, []string{"one", "two", "three"}, multi)
	empty := h.Get("X-Empty")
	assert.NotNil(t, empty, "an empty value is still present")
	assert.Empty(t, empty)
}

// nats.go publishes headers; every Starling way of receiving reads the same
// keys, in the same case, with the values in order.
func TestHeadersNatsGoToStarling(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	const subject = "interop.hdr.n2s"
	inboxes := make(map[recvKind]*inbox)
	for _, k := range starlingKinds {
		_, inboxes[k] = subscribeStarling(t, sc, k, subject)
	}
	// The borrowed view is checked inside the handler, while it is valid.
	viewChecked := make(chan struct{}, 2)
	_, err := sc.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) {
		checkBorrowedView(t, m.Header)
		viewChecked <- struct{}{}
	})
	require.NoError(t, err)
	flushStarling(t, sc)

	withData := &nats.Msg{Subject: subject, Header: nats.Header(richHeader()), Data: []byte("body")}
	headerOnly := &nats.Msg{Subject: subject, Header: nats.Header(richHeader())}
	require.NoError(t, nc.PublishMsg(withData))
	require.NoError(t, nc.PublishMsg(headerOnly))
	flushNats(t, nc)

	for _, k := range starlingKinds {
		g := inboxes[k].next(t, string(k))
		assert.Equal(t, richHeader(), g.Header, k)
		assert.Equal(t, "body", string(g.Data), k)
		assert.Zero(t, g.Status, k)
		g = inboxes[k].next(t, string(k)+" header only")
		assert.Equal(t, richHeader(), g.Header, k)
		assert.Empty(t, g.Data, k)
	}
	for range 2 {
		<-viewChecked
	}
}

// Starling publishes headers; every nats.go way of receiving reads the
// same keys, in the same case, with the values in order.
func TestHeadersStarlingToNatsGo(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	const subject = "interop.hdr.s2n"
	inboxes := make(map[recvKind]*inbox)
	for _, k := range natsKinds {
		_, inboxes[k] = subscribeNats(t, nc, k, subject, "")
	}
	flushNats(t, nc)

	// ADR-4 allows any printable ASCII but ':' in a key; nats.go refuses to
	// send some of it ("/", "."), but must read what Starling sends.
	lenient := richHeader()
	lenient["X-Path/With.Dots"] = []string{"ok"}
	require.NoError(t, sc.PublishMsg(&core.Msg{Subject: subject, Header: lenient, Data: []byte("body")}))
	require.NoError(t, sc.PublishMsg(&core.Msg{Subject: subject, Header: richHeader()}))
	// A Header built with Add and Set keeps case and order as well.
	h := core.Header{}
	h.Add("Trace-Id", "1")
	h.Add("Trace-Id", "2")
	h.Set("trace-id", "lower")
	require.NoError(t, sc.PublishMsg(&core.Msg{Subject: subject, Header: h, Data: []byte("x")}))
	flushStarling(t, sc)

	for _, k := range natsKinds {
		g := inboxes[k].next(t, string(k))
		assert.Equal(t, lenient, g.Header, k)
		assert.Equal(t, "body", string(g.Data), k)
		g = inboxes[k].next(t, string(k)+" header only")
		assert.Equal(t, richHeader(), g.Header, k)
		assert.Empty(t, g.Data, k)
		g = inboxes[k].next(t, string(k)+" Add/Set")
		assert.Equal(t, map[string][]string{"Trace-Id": {"1", "2"}, "trace-id": {"lower"}}, g.Header, k)
	}
}

// Status lines ("NATS/1.0 503", "NATS/1.0 100 Idle Heartbeat") are sent
// only by servers; both clients must read the code, the description and
// any fields after them the same way.
func TestStatusHeaders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	const subject = "interop.status"
	inboxes := make(map[recvKind]*inbox)
	for _, k := range starlingKinds {
		_, inboxes[k] = subscribeStarling(t, sc, k, subject)
	}
	for _, k := range natsKinds {
		_, inboxes[k] = subscribeNats(t, nc, k, subject, "")
	}
	flushStarling(t, sc)
	flushNats(t, nc)

	heartbeat := codec.Header{"Nats-Last-Consumer": {"42"}, "Nats-Last-Stream": {"7"}}.AppendStatus(nil, 100, "Idle Heartbeat")
	timeout := codec.Header{}.AppendStatus(nil, 408, "Request Timeout")
	noResp := codec.Header{}.AppendStatus(nil, 503, "")
	require.True(t, bytes.HasPrefix(noResp, []byte("NATS/1.0 503\r\n")), "%q", noResp)
	rawPublish(t, s.Addr(), subject, heartbeat, timeout, noResp)

	want := []got{
		{Status: 100, Description: "Idle Heartbeat", Header: map[string][]string{"Nats-Last-Consumer": {"42"}, "Nats-Last-Stream": {"7"}}},
		{Status: 408, Description: "Request Timeout"},
		{Status: 503},
	}
	for _, k := range slices.Concat(starlingKinds, natsKinds) {
		for _, w := range want {
			g := inboxes[k].next(t, string(k))
			assert.Equal(t, w.Status, g.Status, k)
			assert.Equal(t, w.Description, g.Description, k)
			assert.Equal(t, w.Header, g.Header, k)
			assert.Empty(t, g.Data, k)
		}
	}
}
