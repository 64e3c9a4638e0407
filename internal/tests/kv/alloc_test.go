package kv_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// The server runs in its own process so that its allocations are not
// counted. Each figure is the js path under it plus what kv adds.
func allocBucket(t *testing.T) (*kv.Bucket, context.Context) {
	_, _, s := newStore(t, harness.WithProcess())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	b, err := s.Create(ctx, kv.Config{Bucket: "alloc", Storage: js.MemoryStorage})
	require.NoError(t, err)
	return b, ctx
}

// Put is a sync JetStream publish (9: its request, ack, reply and the
// attempt's deadline context) plus the key's subject.
func TestPutAllocs(t *testing.T) {
	b, ctx := allocBucket(t)
	val := make([]byte, 16)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := b.Put(ctx, "key", val); err != nil {
			panic(err)
		}
	})
	t.Logf("allocs per Put: %.1f", allocs)
	require.LessOrEqual(t, allocs, 10.0)
}

// Get is one request: the subject, core's request and reply (the reply
// and its header map), and the Entry, whose Value aliases the reply.
func TestGetAllocs(t *testing.T) {
	b, ctx := allocBucket(t)
	_, err := b.Put(ctx, "key", make([]byte, 16))
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := b.Get(ctx, "key"); err != nil {
			panic(err)
		}
	})
	t.Logf("allocs per Get: %.1f", allocs)
	require.LessOrEqual(t, allocs, 8.0)
}

// Create is Put with the expected-revision header: the header map and its
// value join the publish's.
func TestCreateAllocs(t *testing.T) {
	b, ctx := allocBucket(t)
	val := make([]byte, 16)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		i++
		if _, err := b.Create(ctx, "k"+strconv.Itoa(i), val); err != nil {
			panic(err)
		}
	})
	t.Logf("allocs per Create: %.1f", allocs)
	require.LessOrEqual(t, allocs, 18.0)
}

// A watch allocates its entries in slabs and packs keys and values into
// shared chunks: well under one allocation per entry. The updates are
// written with core publishes, which allocate nothing, inside the counted
// run, so the reader goroutine's work on each delivery is counted too.
func TestWatchAllocs(t *testing.T) {
	srv, _, s := newStore(t, harness.WithProcess())
	ctx := testCtx(t, time.Minute)
	b, err := s.Create(ctx, kv.Config{Bucket: "alloc", Storage: js.MemoryStorage})
	require.NoError(t, err)
	pub := connect(t, srv.ClientURL())
	w, err := b.WatchAll(ctx, kv.UpdatesOnly())
	require.NoError(t, err)
	defer w.Stop()
	const batch = 500
	subjects := make([]string, batch)
	for i := range subjects {
		subjects[i] = "$KV.alloc.k." + strconv.Itoa(i)
	}
	val := make([]byte, 16)
	perEntry := testing.AllocsPerRun(5, func() {
		for _, subj := range subjects {
			if err := pub.Publish(subj, val); err != nil {
				panic(err)
			}
		}
		for range batch {
			e, err := w.Next(ctx)
			if err != nil || e == nil {
				panic(err)
			}
		}
	}) / batch
	t.Logf("allocs per watched entry: %.3f", perEntry)
	require.LessOrEqual(t, perEntry, 1.0)
}
