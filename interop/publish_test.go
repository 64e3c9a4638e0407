package interop

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// sent is one message a test published, for comparing with what arrived.
type sent struct {
	reply  string
	header map[string][]string
	data   []byte
}

// payloadCases are the messages both directions send: empty, small, a full
// 64 KiB buffer's worth, and exactly the server's max_payload, alone and
// with a header that brings header plus data to max_payload; a header-only
// message, protocol text as payload, a 32 KiB header and a 40-key header.
// Every other sized message asks for a reply, so reply subjects cross too.
func payloadCases(t *testing.T, maxPayload int) []sent {
	t.Helper()
	hdr := map[string][]string{"X-Case": {"near-max"}}
	hdrLen := len(core.Header(hdr).Append(nil))
	require.Less(t, hdrLen, 64)
	sizes := []int{0, 16, 64 * 1024, maxPayload}
	var out []sent
	for i, n := range sizes {
		s := sent{data: payload(n, uint64(i))}
		if i%2 == 1 {
			s.reply = "reply.to." + strconv.Itoa(i)
		}
		out = append(out, s)
	}
	big := strings.Repeat("v", 32*1024)
	many := make(map[string][]string)
	for i := range 40 {
		many["X-Key-"+strconv.Itoa(i)] = []string{strconv.Itoa(i)}
	}
	return append(out,
		sent{header: hdr, data: payload(maxPayload-hdrLen, 99)},
		sent{header: map[string][]string{"X-Only": {"header, no data"}}, reply: "reply.hdr"},
		// Protocol text inside a payload is only payload.
		sent{data: []byte("PING\r\nMSG x 1 3\r\nabc\r\n+OK\r\n-ERR 'x'\r\nHMSG y 1 2 2\r\n\r\n")},
		// A header block of 32 KiB, and one of 40 keys.
		sent{header: map[string][]string{"X-Big": {big}}, data: []byte("small")},
		sent{header: many, data: []byte("many keys")},
	)
}

func checkReceived(t *testing.T, what, subject string, want []sent, in *inbox) {
	t.Helper()
	for i, w := range want {
		desc := fmt.Sprintf("%s: message %d (%d bytes)", what, i, len(w.data))
		g := in.next(t, desc)
		assert.Equal(t, subject, g.Subject, desc)
		assert.Equal(t, w.reply, g.Reply, desc)
		assert.Equal(t, w.header, g.Header, desc)
		assert.Zero(t, g.Status, desc)
		requireData(t, w.data, g.Data, desc)
	}
}

// nats.go publishes every payload size; each of Starling's four ways of
// receiving gets each message intact, in order.
func TestPublishNatsGoToStarling(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	require.Equal(t, nc.MaxPayload(), sc.MaxPayload(), "both clients read max_payload from INFO")
	require.True(t, sc.HeadersSupported())
	want := payloadCases(t, int(sc.MaxPayload()))

	const subject = "interop.pub.n2s"
	inboxes := make(map[recvKind]*inbox)
	for _, k := range starlingKinds {
		_, inboxes[k] = subscribeStarling(t, sc, k, subject)
	}
	flushStarling(t, sc)

	for _, w := range want {
		m := &nats.Msg{Subject: subject, Reply: w.reply, Data: w.data}
		if w.header != nil {
			m.Header = nats.Header(w.header)
		}
		require.NoError(t, nc.PublishMsg(m))
	}
	flushNats(t, nc)
	for _, k := range starlingKinds {
		checkReceived(t, string(k), subject, want, inboxes[k])
	}
	flushStarling(t, sc)
	for _, k := range starlingKinds {
		inboxes[k].empty(t, string(k))
	}
	st := sc.Stats()
	assert.Equal(t, uint64(len(want)*len(starlingKinds)), st.InMsgs)
}

// Starling publishes every payload size, through Publish, PublishRequest
// and PublishMsg; each of nats.go's three ways of receiving gets each
// message intact, in order.
func TestPublishStarlingToNatsGo(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	want := payloadCases(t, int(sc.MaxPayload()))

	const subject = "interop.pub.s2n"
	inboxes := make(map[recvKind]*inbox)
	for _, k := range natsKinds {
		_, inboxes[k] = subscribeNats(t, nc, k, subject, "")
	}
	flushNats(t, nc)

	for _, w := range want {
		switch {
		case w.header != nil:
			require.NoError(t, sc.PublishMsg(&core.Msg{Subject: subject, Reply: w.reply, Header: w.header, Data: w.data}))
		case w.reply != "":
			require.NoError(t, sc.PublishRequest(subject, w.reply, w.data))
		default:
			require.NoError(t, sc.Publish(subject, w.data))
		}
	}
	flushStarling(t, sc)
	for _, k := range natsKinds {
		checkReceived(t, string(k), subject, want, inboxes[k])
	}
	flushNats(t, nc)
	for _, k := range natsKinds {
		inboxes[k].empty(t, string(k))
	}
	st := sc.Stats()
	assert.Equal(t, uint64(len(want)), st.OutMsgs)
}

// One byte over max_payload: each client refuses with its own sentinel,
// sends nothing, and stays usable.
func TestPublishOverMaxPayload(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithMaxPayload(32*1024))
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	require.EqualValues(t, 32*1024, sc.MaxPayload())
	require.EqualValues(t, 32*1024, nc.MaxPayload())
	max := int(sc.MaxPayload())

	_, starIn := subscribeStarling(t, sc, starlingBorrowed, "interop.big")
	_, natsIn := subscribeNats(t, nc, natsAsync, "interop.big", "")
	flushStarling(t, sc)
	flushNats(t, nc)

	over := payload(max+1, 1)
	err := sc.Publish("interop.big", over)
	assert.ErrorIs(t, err, core.ErrMaxPayload)
	assert.NotErrorIs(t, err, nats.ErrMaxPayload)
	err = nc.Publish("interop.big", over)
	assert.ErrorIs(t, err, nats.ErrMaxPayload)
	assert.NotErrorIs(t, err, core.ErrMaxPayload)

	// Header plus data counts: max_payload of data with a header is over.
	hdr := map[string][]string{"K": {"v"}}
	assert.ErrorIs(t, sc.PublishMsg(&core.Msg{Subject: "interop.big", Header: hdr, Data: payload(max, 2)}), core.ErrMaxPayload)
	assert.ErrorIs(t, nc.PublishMsg(&nats.Msg{Subject: "interop.big", Header: hdr, Data: payload(max, 2)}), nats.ErrMaxPayload)

	// Both still work, at exactly max_payload.
	exact := payload(max, 3)
	require.NoError(t, sc.Publish("interop.big", exact))
	require.NoError(t, nc.Publish("interop.big", exact))
	flushStarling(t, sc)
	flushNats(t, nc)
	requireData(t, exact, natsIn.next(t, "nats.go receives max_payload from Starling").Data, "starling→nats.go")
	requireData(t, exact, starIn.next(t, "Starling receives max_payload from nats.go").Data, "nats.go→starling")
	// Each also receives its own (echo on): Starling's borrowed handler and
	// nats.go's subscription see both publishes, and nothing of the refused.
	requireData(t, exact, natsIn.next(t, "nats.go echo").Data, "nats.go echo")
	requireData(t, exact, starIn.next(t, "Starling echo").Data, "starling echo")
	flushStarling(t, sc)
	flushNats(t, nc)
	natsIn.empty(t, "nats.go")
	starIn.empty(t, "starling")
	assert.True(t, sc.IsConnected())
	assert.True(t, nc.IsConnected())
}

// Wildcards, AutoUnsubscribe and Unsubscribe are the server's business, but
// each client must express them so the server applies them to the other
// client's messages.
func TestSubscribeWildcardsAndUnsubscribe(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	t.Run("starling wildcards, nats.go publishes", func(t *testing.T) {
		_, star := subscribeStarling(t, sc, starlingOwned, "wild.s.*.x")
		_, tail := subscribeStarling(t, sc, starlingSync, "wild.s.>")
		flushStarling(t, sc)
		for _, subj := range []string{"wild.s.a.x", "wild.s.b.y.z", "wild.s.c.x"} {
			require.NoError(t, nc.Publish(subj, []byte(subj)))
		}
		flushNats(t, nc)
		assert.Equal(t, "wild.s.a.x", star.next(t, "*").Subject)
		assert.Equal(t, "wild.s.c.x", star.next(t, "*").Subject)
		for _, subj := range []string{"wild.s.a.x", "wild.s.b.y.z", "wild.s.c.x"} {
			g := tail.next(t, ">")
			assert.Equal(t, subj, g.Subject)
			assert.Equal(t, subj, string(g.Data))
		}
		flushStarling(t, sc)
		star.empty(t, "*")
		tail.empty(t, ">")
	})

	t.Run("nats.go wildcards, starling publishes", func(t *testing.T) {
		_, star := subscribeNats(t, nc, natsAsync, "wild.n.*.x", "")
		_, tail := subscribeNats(t, nc, natsSync, "wild.n.>", "")
		flushNats(t, nc)
		for _, subj := range []string{"wild.n.a.x", "wild.n.b.y.z", "wild.n.c.x"} {
			require.NoError(t, sc.Publish(subj, []byte(subj)))
		}
		flushStarling(t, sc)
		assert.Equal(t, "wild.n.a.x", star.next(t, "*").Subject)
		assert.Equal(t, "wild.n.c.x", star.next(t, "*").Subject)
		for _, subj := range []string{"wild.n.a.x", "wild.n.b.y.z", "wild.n.c.x"} {
			assert.Equal(t, subj, tail.next(t, ">").Subject)
		}
		flushNats(t, nc)
		star.empty(t, "*")
		tail.empty(t, ">")
	})

	t.Run("starling AutoUnsubscribe", func(t *testing.T) {
		sub, in := subscribeStarling(t, sc, starlingBorrowed, "auto.s")
		require.NoError(t, sub.AutoUnsubscribe(3))
		flushStarling(t, sc)
		for i := range 10 {
			require.NoError(t, nc.Publish("auto.s", []byte{byte(i)}))
		}
		flushNats(t, nc)
		for i := range 3 {
			assert.Equal(t, []byte{byte(i)}, in.next(t, "auto-unsubscribed").Data)
		}
		<-sub.Done()
		flushStarling(t, sc)
		in.empty(t, "after the third")
		assert.EqualValues(t, 3, sub.Delivered())
		// The server dropped the interest too: nobody answers a request.
		_, err := nc.Request("auto.s", nil, testTimeout)
		assert.True(t, isNatsNoResponders(err), "nats.go request after Starling's auto-unsubscribe: %v", err)
	})

	t.Run("nats.go AutoUnsubscribe", func(t *testing.T) {
		sub, in := subscribeNats(t, nc, natsAsync, "auto.n", "")
		require.NoError(t, sub.AutoUnsubscribe(3))
		flushNats(t, nc)
		for i := range 10 {
			require.NoError(t, sc.Publish("auto.n", []byte{byte(i)}))
		}
		flushStarling(t, sc)
		for i := range 3 {
			assert.Equal(t, []byte{byte(i)}, in.next(t, "auto-unsubscribed").Data)
		}
		flushNats(t, nc)
		in.empty(t, "after the third")
		_, err := sc.Request(testCtx(t), "auto.n", nil)
		assert.True(t, isCoreNoResponders(err), "Starling request after nats.go's auto-unsubscribe: %v", err)
	})

	t.Run("unsubscribe on each side", func(t *testing.T) {
		ssub, sin := subscribeStarling(t, sc, starlingOwned, "unsub.s")
		nsub, nin := subscribeNats(t, nc, natsAsync, "unsub.n", "")
		flushStarling(t, sc)
		flushNats(t, nc)
		require.NoError(t, ssub.Unsubscribe())
		require.NoError(t, nsub.Unsubscribe())
		flushStarling(t, sc)
		flushNats(t, nc)
		require.NoError(t, nc.Publish("unsub.s", []byte("late")))
		require.NoError(t, sc.Publish("unsub.n", []byte("late")))
		flushNats(t, nc)
		flushStarling(t, sc)
		sin.empty(t, "starling after Unsubscribe")
		nin.empty(t, "nats.go after Unsubscribe")
		_, err := nc.Request("unsub.s", nil, testTimeout)
		assert.True(t, isNatsNoResponders(err), "%v", err)
		_, err = sc.Request(testCtx(t), "unsub.n", nil)
		assert.True(t, isCoreNoResponders(err), "%v", err)
		assert.ErrorIs(t, ssub.Unsubscribe(), core.ErrBadSubscription)
	})
}
