package js_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
)

func TestConsumerCreateUpdateDelete(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "S", "s.>")

	cfg := js.ConsumerConfig{
		Durable:           "d",
		Description:       "test",
		DeliverPolicy:     js.DeliverByStartSequence,
		OptStartSeq:       3,
		AckPolicy:         js.AckExplicit,
		AckWait:           7 * time.Second,
		MaxDeliver:        5,
		BackOff:           []time.Duration{time.Second, 2 * time.Second},
		FilterSubject:     "s.a",
		ReplayPolicy:      js.ReplayInstant,
		MaxWaiting:        64,
		MaxAckPending:     100,
		MaxRequestBatch:   50,
		MaxRequestExpires: time.Minute,
		InactiveThreshold: time.Hour,
		Metadata:          map[string]string{"team": "x"},
	}
	c, err := j.CreateConsumer(ctx, "S", cfg)
	require.NoError(t, err)
	assert.Equal(t, "d", c.Name())
	got := c.CachedInfo().Config
	assert.Equal(t, cfg.BackOff[0], got.AckWait, "with a backoff the server sets ack_wait to its first step")
	assert.Equal(t, cfg.BackOff, got.BackOff)
	assert.Equal(t, "s.a", got.FilterSubject)
	assert.Equal(t, js.DeliverByStartSequence, got.DeliverPolicy)
	assert.Equal(t, uint64(3), got.OptStartSeq)
	assert.Equal(t, "x", got.Metadata["team"])

	// Same config again is fine; a different one is refused by "create".
	_, err = j.CreateConsumer(ctx, "S", cfg)
	require.NoError(t, err)
	cfg2 := cfg
	cfg2.Description = "changed"
	_, err = j.CreateConsumer(ctx, "S", cfg2)
	require.ErrorIs(t, err, js.ErrConsumerExists)

	// "update" changes it, and refuses a missing consumer.
	_, err = j.UpdateConsumer(ctx, "S", cfg2)
	require.NoError(t, err)
	ci, err := j.ConsumerInfo(ctx, "S", "d")
	require.NoError(t, err)
	assert.Equal(t, "changed", ci.Config.Description)
	missing := cfg
	missing.Durable = "nope"
	_, err = j.UpdateConsumer(ctx, "S", missing)
	require.ErrorIs(t, err, js.ErrConsumerDoesNotExist)

	// Create-or-update does both.
	other := js.ConsumerConfig{Durable: "e", AckPolicy: js.AckNone, FilterSubject: "s.*"}
	_, err = j.CreateOrUpdateConsumer(ctx, "S", other)
	require.NoError(t, err)
	other.Description = "again"
	_, err = j.CreateOrUpdateConsumer(ctx, "S", other)
	require.NoError(t, err)

	// An ephemeral gets a generated name.
	eph, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{AckPolicy: js.AckNone})
	require.NoError(t, err)
	assert.NotEmpty(t, eph.Name())

	var names []string
	for n, err := range j.ConsumerNames(ctx, "S") {
		require.NoError(t, err)
		names = append(names, n)
	}
	assert.ElementsMatch(t, []string{"d", "e", eph.Name()}, names)
	count := 0
	for ci, err := range j.Consumers(ctx, "S") {
		require.NoError(t, err)
		assert.Equal(t, "S", ci.Stream)
		count++
	}
	assert.Equal(t, 3, count)

	require.NoError(t, j.DeleteConsumer(ctx, "S", "d"))
	_, err = j.ConsumerInfo(ctx, "S", "d")
	require.ErrorIs(t, err, js.ErrConsumerNotFound)
	require.ErrorIs(t, j.DeleteConsumer(ctx, "S", "d"), js.ErrConsumerNotFound)

	_, err = j.ConsumerInfo(ctx, "S", "a.b")
	require.ErrorIs(t, err, js.ErrInvalidName)
	_, err = j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "x", Name: "y"})
	require.ErrorIs(t, err, js.ErrInvalidOption)
}

// TestConsumerConfigUnknownKeys: keys from a newer server survive a
// decode and encode.
func TestConsumerConfigUnknownKeys(t *testing.T) {
	in := `{"durable_name":"d","ack_policy":"explicit","ack_wait":1000000000,"future_key":{"a":1}}`
	var c js.ConsumerConfig
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	assert.Equal(t, time.Second, c.AckWait)
	out, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestConsumerPauseResumeResetUnpin(t *testing.T) {
	_, nc, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	addStream(t, j, "S", "s.>")
	for i := 0; i < 5; i++ {
		require.NoError(t, nc.Publish("s.a", []byte("x")))
	}
	_, err := j.Publish(ctx, "s.a", []byte("x"))
	require.NoError(t, err)

	c, err := j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "d", AckPolicy: js.AckExplicit})
	require.NoError(t, err)
	until := time.Now().Add(time.Hour)
	p, err := j.PauseConsumer(ctx, "S", "d", until)
	require.NoError(t, err)
	assert.True(t, p.Paused)
	assert.WithinDuration(t, until, p.PauseUntil, time.Second)
	ci, err := c.Info(ctx)
	require.NoError(t, err)
	assert.True(t, ci.Paused)
	p, err = j.ResumeConsumer(ctx, "S", "d")
	require.NoError(t, err)
	assert.False(t, p.Paused)

	// Reset moves the start: fetch 3, reset to 2, the next is seq 2.
	msgs, err := c.Fetch(ctx, 3)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	_, seq, err := j.ResetConsumer(ctx, "S", "d", 2)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), seq)
	m, err := c.Next(ctx)
	require.NoError(t, err)
	md, err := m.Metadata()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), md.StreamSeq)

	// Unpin on a pinned_client consumer.
	_, err = j.CreateConsumer(ctx, "S", js.ConsumerConfig{Durable: "pin", AckPolicy: js.AckExplicit,
		PriorityGroups: []string{"g"}, PriorityPolicy: js.PriorityPinnedClient, PinnedTTL: time.Minute})
	require.NoError(t, err)
	require.NoError(t, j.UnpinConsumer(ctx, "S", "pin", "g"))
	err = j.UnpinConsumer(ctx, "S", "pin", "nope")
	var apiErr *js.APIError
	require.True(t, errors.As(err, &apiErr), "unpin of an unknown group: %v", err)
}
