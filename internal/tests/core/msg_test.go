package core_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestMsgRespond(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	srv := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	ctx := testCtx(t, 5*time.Second)

	_, err := srv.Subscribe("svc.owned", func(m *core.Msg) {
		assert.NoError(t, m.Respond(append([]byte("owned:"), m.Data...)))
	})
	require.NoError(t, err)
	_, err = srv.SubscribeBorrowed("svc.borrowed", func(m *core.BorrowedMsg) {
		assert.NoError(t, m.Respond(append([]byte("borrowed:"), m.Data...)))
	})
	require.NoError(t, err)
	_, err = srv.Subscribe("svc.msg", func(m *core.Msg) {
		h := core.Header{}
		h.Set("Echo", m.Header.Get("Ask"))
		// r.Subject is ignored: the reply goes to m.Reply.
		assert.NoError(t, m.RespondMsg(&core.Msg{Subject: "ignored", Header: h, Data: []byte("msg")}))
	})
	require.NoError(t, err)
	_, err = srv.SubscribeBorrowed("svc.bmsg", func(m *core.BorrowedMsg) {
		h := core.Header{}
		h.Set("Echo", string(m.Header.Get("Ask")))
		assert.NoError(t, m.RespondMsg(&core.Msg{Header: h, Data: []byte("bmsg")}))
	})
	require.NoError(t, err)
	sync, err := srv.SubscribeSync("svc.sync")
	require.NoError(t, err)
	flush(t, srv)

	r, err := cli.Request(ctx, "svc.owned", []byte("a"))
	require.NoError(t, err)
	assert.Equal(t, "owned:a", string(r.Data))
	assert.Nil(t, r.Subscription(), "a reply to Request belongs to no subscription of the user")

	r, err = cli.Request(ctx, "svc.borrowed", []byte("b"))
	require.NoError(t, err)
	assert.Equal(t, "borrowed:b", string(r.Data))

	ask := core.Header{}
	ask.Set("Ask", "42")
	for _, subj := range []string{"svc.msg", "svc.bmsg"} {
		r, err = cli.RequestMsg(ctx, &core.Msg{Subject: subj, Header: ask})
		require.NoError(t, err)
		assert.Equal(t, "42", r.Header.Get("Echo"), subj)
	}

	// A pulled message responds too, from any goroutine, later.
	done := make(chan *core.Msg, 1)
	go func() {
		r, err := cli.Request(ctx, "svc.sync", []byte("c"))
		assert.NoError(t, err)
		done <- r
	}()
	m := next(t, sync)
	require.NoError(t, m.Respond([]byte("sync:c")))
	assert.Equal(t, "sync:c", string(recv(t, done).Data))

	// No reply subject: nothing to respond to.
	plain, err := srv.SubscribeSync("svc.plain")
	require.NoError(t, err)
	flush(t, srv)
	require.NoError(t, cli.Publish("svc.plain", nil))
	m = next(t, plain)
	assert.ErrorIs(t, m.Respond(nil), core.ErrNoReply)
	assert.ErrorIs(t, m.RespondMsg(&core.Msg{}), core.ErrNoReply)
	_, err = srv.SubscribeBorrowed("svc.bplain", func(m *core.BorrowedMsg) {
		assert.ErrorIs(t, m.Respond(nil), core.ErrNoReply)
		assert.ErrorIs(t, m.RespondMsg(&core.Msg{}), core.ErrNoReply)
		done <- nil
	})
	require.NoError(t, err)
	flush(t, srv)
	require.NoError(t, cli.Publish("svc.bplain", nil))
	recv(t, done)

	// A bad header in a response is refused like in a publish.
	bad, err := srv.SubscribeSync("svc.bad")
	require.NoError(t, err)
	flush(t, srv)
	require.NoError(t, cli.PublishRequest("svc.bad", "some.reply", nil))
	m = next(t, bad)
	assert.ErrorIs(t, m.RespondMsg(&core.Msg{Header: core.Header{"K": {"a\r\nb"}}}), core.ErrBadHeader)
}

func TestMsgSubscription(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	owned := make(chan *core.Msg, 1)
	osub, err := nc.Subscribe("which.owned", func(m *core.Msg) { owned <- m })
	require.NoError(t, err)
	psub, err := nc.SubscribeSync("which.pull")
	require.NoError(t, err)
	ch := make(chan *core.Msg, 1)
	csub, err := nc.SubscribeChan("which.chan", ch)
	require.NoError(t, err)
	borrowed := make(chan *core.Subscription, 1)
	bsub, err := nc.SubscribeBorrowed("which.borrowed", func(m *core.BorrowedMsg) { borrowed <- m.Subscription() })
	require.NoError(t, err)
	for _, subj := range []string{"which.owned", "which.pull", "which.chan", "which.borrowed"} {
		require.NoError(t, nc.Publish(subj, nil))
	}
	assert.Same(t, osub, recv(t, owned).Subscription())
	assert.Same(t, psub, next(t, psub).Subscription())
	assert.Same(t, csub, recv(t, (<-chan *core.Msg)(ch)).Subscription())
	assert.Same(t, bsub, recv(t, borrowed))
	assert.Nil(t, (&core.Msg{}).Subscription())
}

// TestMsgBorrowedCopy keeps copies of borrowed messages and checks them
// after many more messages went through the same read buffer.
func TestMsgBorrowedCopy(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	const n = 3000
	copies := make(chan *core.Msg, n)
	sub, err := nc.SubscribeBorrowed("copy.>", func(m *core.BorrowedMsg) { copies <- m.Copy() })
	require.NoError(t, err)
	flush(t, nc)
	for i := 0; i < n; i++ {
		h := core.Header{}
		h.Set("Seq", strconv.Itoa(i))
		data := make([]byte, i%700) // sizes across the allocation classes
		for j := range data {
			data[j] = byte(i + j)
		}
		require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "copy." + strconv.Itoa(i), Reply: "r." + strconv.Itoa(i), Header: h, Data: data}))
	}
	flush(t, nc)
	got := make([]*core.Msg, 0, n)
	for i := 0; i < n; i++ {
		got = append(got, recv(t, (<-chan *core.Msg)(copies)))
	}
	for i, m := range got {
		is := strconv.Itoa(i)
		assert.Equal(t, "copy."+is, m.Subject)
		assert.Equal(t, "r."+is, m.Reply)
		assert.Equal(t, is, m.Header.Get("Seq"))
		require.Len(t, m.Data, i%700)
		for j, b := range m.Data {
			if b != byte(i+j) {
				t.Fatalf("message %d byte %d changed after the handler returned", i, j)
			}
		}
		assert.Same(t, sub, m.Subscription())
	}
	// A copy responds like any owned message.
	reply, err := nc.SubscribeSync("r.7")
	require.NoError(t, err)
	flush(t, nc)
	require.NoError(t, got[7].Respond([]byte("back")))
	assert.Equal(t, "back", string(next(t, reply).Data))
}

// TestMsgStatus provokes the status messages a client meets: 503 from core
// NATS, and 100, 404, 408 and 409 from JetStream pull requests, sent by
// hand so that the raw status lines reach the subscription.
func TestMsgStatus(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithJetStream())
	nc := connect(t, s.ClientURL())
	ctx := testCtx(t, 10*time.Second)

	inbox := nc.NewInbox()
	replies, err := nc.SubscribeSync(inbox + ".>")
	require.NoError(t, err)
	borrowedStatus := make(chan [2]string, 16)
	// The server sends a 503 to one subscription of the requester only, so
	// the borrowed one gets an inbox of its own.
	binbox := nc.NewInbox()
	_, err = nc.SubscribeBorrowed(binbox, func(m *core.BorrowedMsg) {
		borrowedStatus <- [2]string{strconv.Itoa(m.Status()), string(m.Description())}
	})
	require.NoError(t, err)
	flush(t, nc)

	// 503: nobody listens.
	require.NoError(t, nc.PublishRequest("nobody.here", inbox+".503", nil))
	m := next(t, replies)
	assert.Equal(t, 503, m.Status())
	assert.Equal(t, "", m.Description())
	assert.Empty(t, m.Data)
	require.NoError(t, nc.PublishRequest("nobody.here", binbox, nil))
	assert.Equal(t, [2]string{"503", ""}, recv(t, borrowedStatus))

	// A stream and a pull consumer allowing batches of 1.
	api := func(subject string, req any) {
		t.Helper()
		body, err := json.Marshal(req)
		require.NoError(t, err)
		r, err := nc.Request(ctx, subject, body)
		require.NoError(t, err)
		var resp struct {
			Error *struct{ Description string } `json:"error"`
		}
		require.NoError(t, json.Unmarshal(r.Data, &resp))
		require.Nil(t, resp.Error, "%s: %s", subject, r.Data)
	}
	api("$JS.API.STREAM.CREATE.S", map[string]any{"name": "S", "subjects": []string{"s.>"}, "storage": "memory"})
	api("$JS.API.CONSUMER.CREATE.S.C", map[string]any{"stream_name": "S", "config": map[string]any{
		"durable_name": "C", "ack_policy": "explicit", "max_batch": 1,
	}})
	pull := func(reply string, req map[string]any) {
		t.Helper()
		body, err := json.Marshal(req)
		require.NoError(t, err)
		require.NoError(t, nc.PublishRequest("$JS.API.CONSUMER.MSG.NEXT.S.C", reply, body))
	}

	// 404: no_wait with nothing there.
	pull(inbox+".404", map[string]any{"batch": 1, "no_wait": true})
	m = next(t, replies)
	assert.Equal(t, inbox+".404", m.Subject)
	assert.Equal(t, codec.StatusNotFound, m.Status())
	assert.Equal(t, "No Messages", m.Description())

	// 409: a batch over the consumer's max_batch.
	pull(inbox+".409", map[string]any{"batch": 5})
	m = next(t, replies)
	assert.Equal(t, codec.StatusConflict, m.Status())
	assert.Equal(t, "Exceeded MaxRequestBatch of 1", m.Description())

	// 100 then 408: a pull with heartbeats that expires.
	pull(inbox+".408", map[string]any{"batch": 1, "expires": int64(300 * time.Millisecond), "idle_heartbeat": int64(100 * time.Millisecond)})
	var sawHeartbeat bool
	for {
		m = next(t, replies)
		if m.Status() == codec.StatusIdleHeartbeat {
			assert.Equal(t, "Idle Heartbeat", m.Description())
			sawHeartbeat = true
			continue
		}
		break
	}
	assert.True(t, sawHeartbeat)
	assert.Equal(t, codec.StatusRequestTimeout, m.Status())
	assert.Equal(t, "Request Timeout", m.Description())

	// An ordinary message carries no status.
	ack, err := nc.Request(ctx, "s.1", []byte("data")) // stored once acknowledged
	require.NoError(t, err)
	require.Contains(t, string(ack.Data), `"seq":1`)
	// The consumer learns of the stored message asynchronously, so this
	// pull waits for it rather than asking no_wait.
	pull(inbox+".msg", map[string]any{"batch": 1, "expires": int64(3 * time.Second)})
	// A heartbeat of the expired pull may still trail its 408.
	for m = next(t, replies); m.Status() == codec.StatusIdleHeartbeat; m = next(t, replies) {
	}
	// Pulled messages keep their own subject; they reach the inbox's
	// subscription by its sid.
	assert.Equal(t, "s.1", m.Subject)
	assert.True(t, strings.HasPrefix(m.Reply, "$JS.ACK.S.C."), m.Reply)
	assert.Equal(t, 0, m.Status())
	assert.Equal(t, "", m.Description())
	assert.Equal(t, "data", string(m.Data))
}
