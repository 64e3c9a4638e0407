package kv_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// BenchmarkKeysHeap lists every key of buckets of growing size and reports
// the time and the peak heap growth over the listing (sampled every 1000
// keys, after a GC before the start). The server runs in its own process,
// so its memory is not counted. Flat peakMiB across sizes is the claim:
// Keys streams, memory does not follow the key count. Set KV_KEYS_1M=1 to
// add the 1 M row (slow on a loaded machine).
//
//	go test ./kv -run '^$' -bench BenchmarkKeysHeap -benchtime 1x -timeout 20m
func BenchmarkKeysHeap(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("KV_KEYS_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	srv := harness.RunServer(b, harness.WithJetStream(), harness.WithProcess())
	s := newStoreOn(b, connect(b, srv.ClientURL()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	for _, n := range sizes {
		name := "keys" + strconv.Itoa(n)
		bk, err := s.Create(ctx, kv.Config{Bucket: name})
		require.NoError(b, err)
		fill(b, ctx, s.JetStream(), bk, name, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var peak uint64
			for range b.N {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				got := 0
				for _, err := range bk.Keys(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					got++
					if got%1000 == 0 {
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > base {
							peak = max(peak, ms.HeapAlloc-base)
						}
					}
				}
				if got != n {
					b.Fatalf("listed %d keys of %d", got, n)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakMiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		})
		require.NoError(b, s.Delete(ctx, name))
	}
}

// fill stores n keys with async publishes (acknowledged: plain publishes
// past the server's ingest queue would be dropped) and waits until the
// bucket holds them all.
func fill(b *testing.B, ctx context.Context, j *js.JetStream, bk *kv.Bucket, name string, n int) {
	val := make([]byte, 16)
	for i := range n {
		if _, err := j.PublishAsync(ctx, "$KV."+name+".key."+strconv.Itoa(i), val); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, j.PublishAsyncComplete(ctx))
	st, err := bk.Status(ctx)
	require.NoError(b, err)
	require.Equal(b, uint64(n), st.Values)
}
