package core_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// Benchmarks of the hot paths against a nats-server process (so the
// server's CPU and allocations are not counted). The side-by-side
// comparison with nats.go lives in interop/bench.

func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{16, 128, 1024} {
		b.Run(sizeName(size), func(b *testing.B) {
			s := harness.RunServer(b, harness.WithProcess())
			nc := connect(b, s.ClientURL())
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				if err := nc.Publish("bench.pub", data); err != nil {
					b.Fatal(err)
				}
			}
			flush(b, nc)
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkPublishSubscribeBorrowed(b *testing.B) {
	s := harness.RunServer(b, harness.WithProcess())
	sub := connect(b, s.ClientURL())
	pub := connect(b, s.ClientURL())
	var got atomic.Int64
	_, err := sub.SubscribeBorrowed("bench.ps", func(*core.BorrowedMsg) { got.Add(1) })
	if err != nil {
		b.Fatal(err)
	}
	flush(b, sub)
	data := make([]byte, 16)
	b.SetBytes(16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		if err := pub.Publish("bench.ps", data); err != nil {
			b.Fatal(err)
		}
	}
	flush(b, pub)
	waitCount(b, &got, int64(b.N))
	reportCPU(b, cpu)
}

func BenchmarkPublishSubscribeOwned(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(sizeName(size), func(b *testing.B) {
			s := harness.RunServer(b, harness.WithProcess())
			sub := connect(b, s.ClientURL())
			pub := connect(b, s.ClientURL())
			var got atomic.Int64
			_, err := sub.Subscribe("bench.po", func(*core.Msg) { got.Add(1) })
			if err != nil {
				b.Fatal(err)
			}
			flush(b, sub)
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				if err := pub.Publish("bench.po", data); err != nil {
					b.Fatal(err)
				}
			}
			flush(b, pub)
			waitCount(b, &got, int64(b.N))
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkRequestReply(b *testing.B) {
	s := harness.RunServer(b, harness.WithProcess())
	nc := connect(b, s.ClientURL())
	_, err := nc.SubscribeBorrowed("bench.rr", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) })
	if err != nil {
		b.Fatal(err)
	}
	flush(b, nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	data := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := nc.Request(ctx, "bench.rr", data); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU adds the client CPU per operation since start (user + system of
// this process; the server is another process).
func reportCPU(b *testing.B, start time.Duration) {
	if used := processCPU() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func waitCount(b *testing.B, n *atomic.Int64, want int64) {
	deadline := time.Now().Add(time.Minute)
	for n.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d", n.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1024 && n%1024 == 0:
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
