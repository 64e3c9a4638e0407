package kv_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/kv"
)

// fakeJetStream answers the JetStream API of one bucket, "h", on a plain
// server with replies no real server sends. It returns the bucket.
func fakeJetStream(t *testing.T, direct func(m *core.Msg) *core.Msg, create func(m *core.Msg) []byte) (*core.Conn, *kv.Bucket) {
	s := harness.RunServer(t)
	fake := connect(t, s.ClientURL())
	_, err := fake.Subscribe("$JS.API.STREAM.INFO.KV_h", func(m *core.Msg) {
		_ = m.Respond([]byte(`{"type":"io.nats.jetstream.api.v1.stream_info_response","config":{"name":"KV_h","subjects":["$KV.h.>"],"allow_direct":true,"max_msgs_per_subject":1},"state":{"messages":0}}`))
	})
	require.NoError(t, err)
	if direct != nil {
		_, err = fake.Subscribe("$JS.API.DIRECT.GET.KV_h.>", func(m *core.Msg) { _ = m.RespondMsg(direct(m)) })
		require.NoError(t, err)
	}
	if create != nil {
		_, err = fake.Subscribe("$JS.API.CONSUMER.CREATE.KV_h.>", func(m *core.Msg) { _ = m.Respond(create(m)) })
		require.NoError(t, err)
	}
	require.NoError(t, fake.Flush(testCtx(t, 5*time.Second)))
	nc := connect(t, s.ClientURL())
	b, err := newStoreOn(t, nc).Bucket(testCtx(t, 5*time.Second), "h")
	require.NoError(t, err)
	return fake, b
}

// TestHostile_DirectGetReplies: direct-get replies without the headers a
// server adds, or with a status it does not send there, are
// ErrInvalidResponse, never a panic or a made-up entry.
func TestHostile_DirectGetReplies(t *testing.T) {
	replies := map[string]*core.Msg{
		"no headers":   {Data: []byte("v")},
		"bad sequence": {Header: core.Header{"Nats-Subject": {"$KV.h.k"}, "Nats-Sequence": {"x"}, "Nats-Time-Stamp": {"2026-11-30T00:00:00Z"}}},
		"bad time":     {Header: core.Header{"Nats-Subject": {"$KV.h.k"}, "Nats-Sequence": {"1"}, "Nats-Time-Stamp": {"yesterday"}}},
		"no subject":   {Header: core.Header{"Nats-Sequence": {"1"}, "Nats-Time-Stamp": {"2026-11-30T00:00:00Z"}}},
	}
	for name, reply := range replies {
		t.Run(name, func(t *testing.T) {
			_, b := fakeJetStream(t, func(*core.Msg) *core.Msg { return reply }, nil)
			e, err := b.Get(testCtx(t, 5*time.Second), "k")
			assert.ErrorIs(t, err, kv.ErrInvalidResponse)
			assert.Nil(t, e)
		})
	}
	t.Run("another key's entry", func(t *testing.T) {
		_, b := fakeJetStream(t, func(*core.Msg) *core.Msg {
			return &core.Msg{Header: core.Header{"Nats-Subject": {"$KV.h.other"}, "Nats-Sequence": {"1"}, "Nats-Time-Stamp": {"2026-11-30T00:00:00Z"}}}
		}, nil)
		_, err := b.Get(testCtx(t, 5*time.Second), "k")
		assert.ErrorIs(t, err, kv.ErrKeyNotFound)
	})
}

// TestHostile_WatchDeliveries: deliveries whose ack subject is not one
// make the watcher recreate its consumer, never deliver an entry.
func TestHostile_WatchDeliveries(t *testing.T) {
	var creates atomic.Int32
	var fake *core.Conn
	fake, b := fakeJetStream(t, nil, func(m *core.Msg) []byte {
		creates.Add(1)
		var req struct {
			Config struct {
				DeliverSubject string `json:"deliver_subject"`
			} `json:"config"`
		}
		_ = json.Unmarshal(m.Data, &req)
		go func() {
			time.Sleep(20 * time.Millisecond)
			for _, reply := range []string{"", "$JS.ACK.KV_h.c.1.x.1.1.0", "not.an.ack", "$JS.ACK.KV_h.c.1.5.9.1.0"} {
				_ = fake.PublishMsg(&core.Msg{Subject: req.Config.DeliverSubject, Reply: reply, Data: []byte("junk")})
			}
		}()
		return []byte(`{"type":"io.nats.jetstream.api.v1.consumer_create_response","name":"c","num_pending":5}`)
	})
	ctx := testCtx(t, 30*time.Second)
	w, err := b.WatchAll(ctx, kv.WatchHeartbeat(time.Second))
	require.NoError(t, err)
	defer w.Stop()
	nctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e, err := w.Next(nctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, e)
	assert.GreaterOrEqual(t, creates.Load(), int32(2), "the watcher recreated its consumer")
}
