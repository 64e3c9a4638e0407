package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

// The object store rows of docs/perf.md: Starling's obj beside nats.go's
// jetstream object store against one nats-server process (file storage),
// put and get of 1 MiB and 100 MiB objects. The variants are
// sub-benchmarks of one function, so -count alternates them:
//
//	cd interop && go test ./bench -run '^$' -bench Object -benchtime 5x -count 3
//
// Metrics beside MB/s (SetBytes): cpu-ms/MiB (client CPU per MiB moved)
// and peak-heap-MiB (the most the live heap grew above its level after a
// GC before the run, sampled every 2 ms).

type objClient interface {
	put(ctx context.Context, name string, r io.Reader) error
	get(ctx context.Context, name string, w io.Writer) error
	close()
}

func BenchmarkObjectPut1MiB(b *testing.B)   { benchObjectPut(b, 1<<20) }
func BenchmarkObjectPut100MiB(b *testing.B) { benchObjectPut(b, 100<<20) }
func BenchmarkObjectGet1MiB(b *testing.B)   { benchObjectGet(b, 1<<20) }
func BenchmarkObjectGet100MiB(b *testing.B) { benchObjectGet(b, 100<<20) }

func benchObjectPut(b *testing.B, size int) {
	data := objPayload(size)
	runObj(b, func(b *testing.B, c objClient) {
		ctx := context.Background()
		measureObj(b, size, func() {
			for i := 0; i < b.N; i++ {
				if err := c.put(ctx, "o", bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func benchObjectGet(b *testing.B, size int) {
	data := objPayload(size)
	runObj(b, func(b *testing.B, c objClient) {
		ctx := context.Background()
		if err := c.put(ctx, "o", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		measureObj(b, size, func() {
			for i := 0; i < b.N; i++ {
				if err := c.get(ctx, "o", io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func objPayload(size int) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 31)
	}
	return data
}

// measureObj times body and reports MB/s, CPU per MiB and peak heap.
func measureObj(b *testing.B, size int, body func()) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	stop := objHeapPeak()
	cpu0 := processCPU()
	b.ResetTimer()
	body()
	b.StopTimer()
	cpu := processCPU() - cpu0
	peak := stop()
	mib := float64(size) * float64(b.N) / (1 << 20)
	b.ReportMetric(float64(cpu.Microseconds())/1e3/mib, "cpu-ms/MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

func objHeapPeak() func() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
					peak.Store(ms.HeapAlloc - base)
				}
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// runObj starts one server process and runs body for Starling, then
// nats.go, each with a fresh store of its own.
func runObj(b *testing.B, body func(b *testing.B, c objClient)) {
	s, err := harness.Start(harness.WithProcess(), harness.WithJetStream(), harness.WithName("objbench"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	for _, v := range []struct {
		name string
		open func(url, bucket string) (objClient, error)
	}{
		{"starling", openStarlingObj},
		{"nats.go", openNatsObj},
	} {
		b.Run(v.name, func(b *testing.B) {
			c, err := v.open(s.ClientURL(), "B"+strconv.Itoa(b.N)+v.name[:1])
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			body(b, c)
		})
	}
}

type starlingObj struct {
	nc *core.Conn
	j  *js.JetStream
	st *obj.Store
}

func openStarlingObj(url, bucket string) (objClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	j, err := js.New(nc, js.WithTimeout(time.Minute))
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = obj.Delete(ctx, j, bucket)
	st, err := obj.Create(ctx, j, obj.Config{Bucket: bucket})
	if err != nil {
		j.Close()
		nc.Close()
		return nil, err
	}
	return &starlingObj{nc, j, st}, nil
}

func (c *starlingObj) put(ctx context.Context, name string, r io.Reader) error {
	_, err := c.st.Put(ctx, obj.Meta{Name: name}, r)
	return err
}

func (c *starlingObj) get(ctx context.Context, name string, w io.Writer) error {
	r, err := c.st.Get(ctx, name)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = r.WriteTo(w)
	return err
}

func (c *starlingObj) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = obj.Delete(ctx, c.j, c.st.Bucket())
	c.j.Close()
	c.nc.Close()
}

type natsObj struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	os     jetstream.ObjectStore
	bucket string
}

func openNatsObj(url, bucket string) (objClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	j, err := jetstream.New(nc, jetstream.WithDefaultTimeout(time.Minute))
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = j.DeleteObjectStore(ctx, bucket)
	os, err := j.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsObj{nc, j, os, bucket}, nil
}

func (c *natsObj) put(ctx context.Context, name string, r io.Reader) error {
	_, err := c.os.Put(ctx, jetstream.ObjectMeta{Name: name}, r)
	return err
}

func (c *natsObj) get(ctx context.Context, name string, w io.Writer) error {
	r, err := c.os.Get(ctx, name)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}

func (c *natsObj) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.js.DeleteObjectStore(ctx, c.bucket)
	c.nc.Close()
}
