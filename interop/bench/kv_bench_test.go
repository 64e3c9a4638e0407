package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// The KV rows of docs/perf.md: Starling's kv beside nats.go's jetstream
// KeyValue against one nats-server process, 16 B values in a file bucket.
// Each benchmark's variants are sub-benchmarks, so -count alternates them:
//
//	cd interop && go test ./bench -run '^$' -bench KV -benchtime 5000x -count 5
//
// Metrics beside ns/op and allocs/op: p50-µs (Get, Put), ops/s (64 Gets in
// flight, Put), cpu-ns/entry (Watch: client CPU per delivered entry) and,
// for Keys over 100 k keys, ms and peak-MiB (heap growth while listing).

// kvClient is one contestant.
type kvClient interface {
	create(ctx context.Context, bucket string) error
	remove(ctx context.Context, bucket string) error
	put(ctx context.Context, key string, val []byte) error
	get(ctx context.Context, key string) error
	// watchInitial watches every key and returns once the end of the
	// initial data arrived, with how many entries came before it.
	watchInitial(ctx context.Context) (int, error)
	// keys lists every key, calling each for it.
	keys(ctx context.Context, each func(string)) error
	close()
}

// kvBench starts one server process and runs body for Starling then
// nats.go, each on a fresh bucket.
func kvBench(b *testing.B, fillKeys int, body func(b *testing.B, c kvClient)) {
	s, err := harness.Start(harness.WithProcess(), harness.WithJetStream(), harness.WithName("kvbench"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	for _, v := range []struct {
		name string
		open func(url, bucket string) (kvClient, error)
	}{
		{"starling", openStarlingKV},
		{"nats.go", openNatsKV},
	} {
		b.Run(v.name, func(b *testing.B) {
			bucket := "KVB" + strconv.Itoa(b.N)
			c, err := v.open(s.ClientURL(), bucket)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if err := c.create(ctx, bucket); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.remove(ctx, bucket) }()
			if fillKeys > 0 {
				if err := fillBucket(ctx, s.ClientURL(), bucket, fillKeys); err != nil {
					b.Fatal(err)
				}
			}
			body(b, c)
		})
	}
}

// fillBucket stores n keys with plain publishes from a connection of its
// own, closed before the measurement, and waits until they are stored.
func fillBucket(ctx context.Context, url, bucket string, n int) error {
	nc, err := core.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer nc.Close()
	val := make([]byte, 16)
	for i := range n {
		if err := nc.Publish("$KV."+bucket+".key."+strconv.Itoa(i), val); err != nil {
			return err
		}
		if i%10_000 == 0 {
			if err := nc.Flush(ctx); err != nil {
				return err
			}
		}
	}
	j, err := js.New(nc)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		si, err := j.StreamInfo(ctx, "KV_"+bucket)
		if err == nil && si.State.Msgs == uint64(n) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ctx.Err()
}

func BenchmarkKVGet(b *testing.B) {
	kvBench(b, 0, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		if err := c.put(ctx, "key", make([]byte, 16)); err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		cpu0 := processCPU()
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			if err := c.get(ctx, "key"); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

func BenchmarkKVGet64InFlight(b *testing.B) {
	kvBench(b, 0, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		if err := c.put(ctx, "key", make([]byte, 16)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		t0 := time.Now()
		b.ResetTimer()
		inflight(b, 64, func() error { return c.get(ctx, "key") })
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "ops/s")
	})
}

func BenchmarkKVPut(b *testing.B) {
	kvBench(b, 0, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		val := make([]byte, 16)
		keys := make([]string, 100)
		for i := range keys {
			keys[i] = "key." + strconv.Itoa(i)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		t0 := time.Now()
		b.ResetTimer()
		for i := range b.N {
			t := time.Now()
			if err := c.put(ctx, keys[i%len(keys)], val); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "ops/s")
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	})
}

func BenchmarkKVPut64InFlight(b *testing.B) {
	kvBench(b, 0, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		val := make([]byte, 16)
		b.ReportAllocs()
		t0 := time.Now()
		b.ResetTimer()
		inflight(b, 64, func() error { return c.put(ctx, "key", val) })
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "ops/s")
	})
}

// BenchmarkKVWatch watches a bucket of 20 000 keys from the start until
// the end of the initial data; b.N watches. The writes happened before,
// from another connection, so the CPU and allocations are the watch's.
func BenchmarkKVWatch(b *testing.B) {
	const keys = 20_000
	kvBench(b, keys, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		b.ReportAllocs()
		cpu0 := processCPU()
		b.ResetTimer()
		for range b.N {
			n, err := c.watchInitial(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n != keys {
				b.Fatalf("watched %d entries of %d", n, keys)
			}
		}
		b.StopTimer()
		entries := float64(b.N * keys)
		b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/entries, "cpu-ns/entry")
		b.ReportMetric(entries/b.Elapsed().Seconds(), "entries/s")
	})
}

// BenchmarkKVKeys100k lists 100 000 keys; peak-MiB is the largest heap
// growth seen while listing (sampled every 1000 keys).
func BenchmarkKVKeys100k(b *testing.B) {
	const keys = 100_000
	kvBench(b, keys, func(b *testing.B, c kvClient) {
		ctx := context.Background()
		var peak uint64
		b.ResetTimer()
		for range b.N {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			n := 0
			err := c.keys(ctx, func(string) {
				n++
				if n%1000 == 0 {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > base {
						peak = max(peak, ms.HeapAlloc-base)
					}
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != keys {
				b.Fatalf("listed %d keys of %d", n, keys)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
}

// inflight runs op b.N times with n calls in flight.
func inflight(b *testing.B, n int, op func() error) {
	var next sync.Mutex
	left := b.N
	var wg sync.WaitGroup
	var failed error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				if left == 0 || failed != nil {
					next.Unlock()
					return
				}
				left--
				next.Unlock()
				if err := op(); err != nil {
					next.Lock()
					failed = err
					next.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
}

type starlingKV struct {
	nc    *core.Conn
	j     *js.JetStream
	store *kv.Store
	b     *kv.Bucket
}

func openStarlingKV(url, _ string) (kvClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	j, err := js.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s, err := kv.New(j)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &starlingKV{nc: nc, j: j, store: s}, nil
}

func (c *starlingKV) create(ctx context.Context, bucket string) (err error) {
	c.b, err = c.store.Create(ctx, kv.Config{Bucket: bucket})
	return err
}
func (c *starlingKV) remove(ctx context.Context, bucket string) error {
	return c.store.Delete(ctx, bucket)
}
func (c *starlingKV) put(ctx context.Context, key string, val []byte) error {
	_, err := c.b.Put(ctx, key, val)
	return err
}
func (c *starlingKV) get(ctx context.Context, key string) error {
	_, err := c.b.Get(ctx, key)
	return err
}
func (c *starlingKV) watchInitial(ctx context.Context) (int, error) {
	w, err := c.b.WatchAll(ctx)
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	n := 0
	for {
		e, err := w.Next(ctx)
		if err != nil {
			return n, err
		}
		if e == nil {
			return n, nil
		}
		n++
	}
}
func (c *starlingKV) keys(ctx context.Context, each func(string)) error {
	for k, err := range c.b.Keys(ctx) {
		if err != nil {
			return err
		}
		each(k)
	}
	return nil
}
func (c *starlingKV) close() { c.j.Close(); c.nc.Close() }

type natsKV struct {
	nc *nats.Conn
	j  jetstream.JetStream
	kv jetstream.KeyValue
}

func openNatsKV(url, _ string) (kvClient, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	j, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsKV{nc: nc, j: j}, nil
}

func (c *natsKV) create(ctx context.Context, bucket string) (err error) {
	c.kv, err = c.j.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket})
	return err
}
func (c *natsKV) remove(ctx context.Context, bucket string) error {
	return c.j.DeleteKeyValue(ctx, bucket)
}
func (c *natsKV) put(ctx context.Context, key string, val []byte) error {
	_, err := c.kv.Put(ctx, key, val)
	return err
}
func (c *natsKV) get(ctx context.Context, key string) error {
	_, err := c.kv.Get(ctx, key)
	return err
}
func (c *natsKV) watchInitial(ctx context.Context) (int, error) {
	w, err := c.kv.WatchAll(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = w.Stop() }()
	n := 0
	for e := range w.Updates() {
		if e == nil {
			return n, nil
		}
		n++
	}
	return n, fmt.Errorf("nats.go watcher closed after %d entries", n)
}
func (c *natsKV) keys(ctx context.Context, each func(string)) error {
	l, err := c.kv.ListKeys(ctx)
	if err != nil {
		return err
	}
	for k := range l.Keys() {
		each(k)
	}
	// The lister has stopped itself at the end: its Stop would only say
	// that its subscription is gone.
	return nil
}
func (c *natsKV) close() { c.nc.Close() }
