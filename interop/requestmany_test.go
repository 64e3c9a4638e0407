package interop

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// scatterResponders is how many nats.go connections answer a scatter
// request, each with its own name as the reply.
const scatterResponders = 3

// Starling's RequestMany gathers replies from several nats.go responders,
// each on its own connection, and ends the way it was told to: a count, a
// stall, a sentinel, the caller breaking out, or no responders at all.
func TestRequestManyFromNatsGoResponders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())

	var names []string
	for i := range scatterResponders {
		name := "responder-" + strconv.Itoa(i)
		names = append(names, name)
		nc := connectNats(t, s.ClientURL())
		_, err := nc.Subscribe("scatter", func(m *nats.Msg) {
			r := nats.NewMsg(m.Reply)
			r.Data = []byte(name)
			r.Header.Set("X-Seen", m.Header.Get("X-Ask"))
			_ = m.RespondMsg(r)
		})
		require.NoError(t, err)
		flushNats(t, nc)
	}
	// One responder streams five chunks, then the empty sentinel of ADR-47.
	streamer := connectNats(t, s.ClientURL())
	_, err := streamer.Subscribe("stream", func(m *nats.Msg) {
		for i := range 5 {
			_ = m.Respond([]byte("chunk-" + strconv.Itoa(i)))
		}
		_ = m.Respond(nil)
	})
	require.NoError(t, err)
	flushNats(t, streamer)

	collect := func(t *testing.T, seq func(func(*core.Msg, error) bool)) []string {
		t.Helper()
		var out []string
		for m, err := range seq {
			require.NoError(t, err)
			out = append(out, string(m.Data))
		}
		return out
	}

	t.Run("max messages", func(t *testing.T) {
		ctx := testCtx(t)
		start := time.Now()
		got := collect(t, sc.RequestMany(ctx, "scatter", []byte("q"), core.MaxMessages(scatterResponders)))
		slices.Sort(got)
		assert.Equal(t, names, got, "one reply from each responder")
		assert.Less(t, time.Since(start), testTimeout/2, "MaxMessages ends the loop, not the timeout")
	})

	t.Run("stall timeout", func(t *testing.T) {
		ctx := testCtx(t)
		got := collect(t, sc.RequestMany(ctx, "scatter", []byte("q"), core.StallTimeout(300*time.Millisecond)))
		slices.Sort(got)
		assert.Equal(t, names, got)
		assert.NoError(t, ctx.Err(), "the stall, not the deadline, ended the loop")
	})

	t.Run("headers", func(t *testing.T) {
		req := &core.Msg{Subject: "scatter", Header: core.Header{"X-Ask": {"please"}}}
		n := 0
		for m, err := range sc.RequestManyMsg(testCtx(t), req, core.MaxMessages(scatterResponders)) {
			require.NoError(t, err)
			assert.Equal(t, "please", m.Header.Get("X-Seen"))
			n++
		}
		assert.Equal(t, scatterResponders, n)
	})

	t.Run("sentinel", func(t *testing.T) {
		got := collect(t, sc.RequestMany(testCtx(t), "stream", nil, core.EmptySentinel()))
		assert.Equal(t, []string{"chunk-0", "chunk-1", "chunk-2", "chunk-3", "chunk-4"}, got)
	})

	t.Run("break early, then reuse", func(t *testing.T) {
		ctx := testCtx(t)
		for m, err := range sc.RequestMany(ctx, "scatter", nil) {
			require.NoError(t, err)
			assert.Contains(t, names, string(m.Data))
			break
		}
		// The other replies are discarded, not delivered to the next request.
		got := collect(t, sc.RequestMany(ctx, "stream", nil, core.EmptySentinel()))
		assert.Equal(t, []string{"chunk-0", "chunk-1", "chunk-2", "chunk-3", "chunk-4"}, got)
	})

	t.Run("deadline ends it normally", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		got := collect(t, sc.RequestMany(ctx, "scatter", nil))
		assert.Len(t, got, scatterResponders)
	})

	t.Run("no responders", func(t *testing.T) {
		var errs []error
		for m, err := range sc.RequestMany(testCtx(t), "scatter.nobody", nil) {
			assert.Nil(t, m)
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		assert.True(t, isCoreNoResponders(errs[0]), "%v", errs[0])
	})
}

// nats.go gathers replies from several Starling responders (one of each
// way of receiving) through an inbox of its own: the scatter-gather nats.go
// users write by hand.
func TestScatterGatherFromStarlingResponders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	for _, k := range starlingKinds {
		sc := connectStarling(t, s.ClientURL())
		starlingResponder(t, sc, k, "scatter")
		flushStarling(t, sc)
	}
	nc := connectNats(t, s.ClientURL())
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	require.NoError(t, err)
	require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: "scatter", Reply: inbox, Header: nats.Header{"X-Ask": {"all"}}, Data: []byte("q")}))

	var responders []string
	for range starlingKinds {
		m, err := sub.NextMsg(testTimeout)
		require.NoError(t, err)
		assert.Equal(t, "echo:q", string(m.Data))
		assert.Equal(t, "all", m.Header.Get("X-Ask"))
		responders = append(responders, m.Header.Get("X-Responder"))
	}
	slices.Sort(responders)
	want := []string{string(starlingBorrowed), string(starlingChan), string(starlingOwned), string(starlingSync)}
	assert.Equal(t, want, responders)
	flushNats(t, nc)
	n, _, err := sub.Pending()
	require.NoError(t, err)
	assert.Zero(t, n, "one reply per responder")
}
