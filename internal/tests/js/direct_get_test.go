package js_test

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

func directStream(t *testing.T) *js.JetStream {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "D", Subjects: []string{"d.>"}, AllowDirect: true})
	require.NoError(t, err)
	// d.0 .. d.4, twice: sequences 1-10, d.i last at 6+i.
	for round := 0; round < 2; round++ {
		for i := 0; i < 5; i++ {
			_, err := j.PublishMsg(ctx, &core.Msg{Subject: fmt.Sprintf("d.%d", i), Header: core.Header{"X-Round": {fmt.Sprint(round)}}, Data: []byte(fmt.Sprintf("%d-%d", round, i))})
			require.NoError(t, err)
		}
	}
	return j
}

func TestDirectGet(t *testing.T) {
	j := directStream(t)
	ctx := testCtx(t, 10*time.Second)
	m, err := j.DirectGet(ctx, "D", 3)
	require.NoError(t, err)
	assert.Equal(t, "D", m.Stream)
	assert.Equal(t, "d.2", m.Subject)
	assert.EqualValues(t, 3, m.Sequence)
	assert.Equal(t, "0-2", string(m.Data))
	assert.WithinDuration(t, time.Now(), m.Time, time.Minute)
	assert.Equal(t, "0", m.Header.Get("X-Round"))
	assert.Empty(t, m.Header.Get(js.HeaderSequence), "reply headers are fields, not headers")

	m, err = j.DirectGetLast(ctx, "D", "d.1")
	require.NoError(t, err)
	assert.EqualValues(t, 7, m.Sequence)
	assert.Equal(t, "1-1", string(m.Data))

	m, err = j.DirectGetNext(ctx, "D", "d.4", 6)
	require.NoError(t, err)
	assert.EqualValues(t, 10, m.Sequence)

	_, err = j.DirectGet(ctx, "D", 99)
	require.ErrorIs(t, err, js.ErrMsgNotFound)
	_, err = j.DirectGetLast(ctx, "D", "d.none")
	require.ErrorIs(t, err, js.ErrMsgNotFound)
	_, err = j.DirectGet(ctx, "NODIRECT", 1)
	require.ErrorIs(t, err, js.ErrNoStreamResponse)
}

func TestDirectGetBatch(t *testing.T) {
	j := directStream(t)
	ctx := testCtx(t, 10*time.Second)
	var seqs []uint64
	for m, err := range j.DirectGetBatch(ctx, "D", js.DirectBatch{Seq: 2, Batch: 4}) {
		require.NoError(t, err)
		seqs = append(seqs, m.Sequence)
	}
	assert.Equal(t, []uint64{2, 3, 4, 5}, seqs)

	seqs = nil
	for m, err := range j.DirectGetBatch(ctx, "D", js.DirectBatch{Subject: "d.3", Batch: 10}) {
		require.NoError(t, err)
		seqs = append(seqs, m.Sequence)
	}
	assert.Equal(t, []uint64{4, 9}, seqs)

	n := 0
	for _, err := range j.DirectGetBatch(ctx, "D", js.DirectBatch{Batch: 10}) {
		require.NoError(t, err)
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)
	for _, err := range j.DirectGetBatch(ctx, "D", js.DirectBatch{}) {
		require.ErrorIs(t, err, js.ErrInvalidOption)
	}
}

func TestDirectGetMultiLast(t *testing.T) {
	j := directStream(t)
	ctx := testCtx(t, 10*time.Second)
	got := map[string]uint64{}
	for m, err := range j.DirectGetMultiLast(ctx, "D", js.DirectMultiLast{Subjects: []string{"d.>"}}) {
		require.NoError(t, err)
		got[m.Subject] = m.Sequence
	}
	assert.Equal(t, map[string]uint64{"d.0": 6, "d.1": 7, "d.2": 8, "d.3": 9, "d.4": 10}, got)

	// As of sequence 7: d.0 and d.1 from the second round, the rest from
	// the first.
	got = map[string]uint64{}
	for m, err := range j.DirectGetMultiLast(ctx, "D", js.DirectMultiLast{Subjects: []string{"d.1", "d.3", "d.0"}, UpToSeq: 7}) {
		require.NoError(t, err)
		got[m.Subject] = m.Sequence
	}
	assert.Equal(t, map[string]uint64{"d.0": 6, "d.1": 7, "d.3": 4}, got)
}

// Pages: a batch of 100 per reply over 300 subjects takes three replies,
// each continuing from the last EOB; past 1024 subjects without a batch
// the server answers 413, typed.
func TestDirectGetMultiLastPages(t *testing.T) {
	_, nc, j := newJS(t)
	ctx := testCtx(t, 30*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "MP", Subjects: []string{"mp.>", "pg.>"}, AllowDirect: true, Storage: js.MemoryStorage})
	require.NoError(t, err)
	const n = 300
	for i := 0; i < n; i++ {
		_, err := j.PublishAsync(ctx, fmt.Sprintf("pg.%d", i), nil)
		require.NoError(t, err)
	}
	for i := 0; i < 1100; i++ {
		_, err := j.PublishAsync(ctx, fmt.Sprintf("mp.%d", i), nil)
		require.NoError(t, err)
	}
	require.NoError(t, j.PublishAsyncComplete(ctx))
	// Subjects written after the read point are not in any page.
	_, err = j.Publish(ctx, "pg.late", nil)
	require.NoError(t, err)

	cc := &countingConn{Conn: nc}
	jc, err := js.New(cc)
	require.NoError(t, err)
	seen := map[string]bool{}
	for m, err := range jc.DirectGetMultiLast(ctx, "MP", js.DirectMultiLast{Subjects: []string{"pg.*"}, Batch: 100, UpToSeq: n + 1100}) {
		require.NoError(t, err)
		require.False(t, seen[m.Subject], "each subject once")
		seen[m.Subject] = true
	}
	assert.Len(t, seen, n)
	assert.EqualValues(t, 3, cc.many.Load(), "one request per page")

	var got error
	for _, err := range j.DirectGetMultiLast(ctx, "MP", js.DirectMultiLast{Subjects: []string{"mp.*"}}) {
		if err != nil {
			got = err
		}
	}
	var dge *js.DirectGetError
	require.ErrorAs(t, got, &dge)
	assert.Equal(t, 413, dge.Status)
}

// countingConn counts the batched requests js makes.
type countingConn struct {
	*core.Conn
	many atomic.Int32
}

func (c *countingConn) RequestManyMsg(ctx context.Context, m *core.Msg, opts ...core.RequestOption) iter.Seq2[*core.Msg, error] {
	c.many.Add(1)
	return c.Conn.RequestManyMsg(ctx, m, opts...)
}
