package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestSmoke(t *testing.T) {
	s := harness.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	sub, err := nc.SubscribeSync("foo")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("foo", []byte("hello")))
	m, err := sub.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(m.Data))
	assert.Equal(t, "foo", m.Subject)

	_, err = nc.SubscribeBorrowed("svc", func(m *core.BorrowedMsg) { _ = m.Respond(append([]byte("re:"), m.Data...)) })
	require.NoError(t, err)
	r, err := nc.Request(ctx, "svc", []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, "re:x", string(r.Data))
	_, err = nc.Request(ctx, "nobody", nil)
	assert.ErrorIs(t, err, core.ErrNoResponders)
	require.NoError(t, nc.Drain(ctx))
}
