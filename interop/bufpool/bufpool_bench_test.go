package bufpool

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/valyala/bytebufferpool"
)

// The size-class policy of codec/buffer.go (sizeClass, getBuf, putBuf),
// copied because it is unexported: a pool per power-of-two multiple of the
// 64 KiB default buffer up to 64 MiB, each holding *[]byte of exactly its
// size, so a buffer that grew for one large operation returns to its own
// class and the next large operation of that class reuses it.
const (
	defaultBufSize = 64 << 10
	maxPooledClass = 10
)

var classPools [maxPooledClass + 1]sync.Pool

func sizeClass(n int) int {
	if n <= defaultBufSize {
		return 0
	}
	return bits.Len(uint((n - 1) / defaultBufSize))
}

func getBuf(n int) *[]byte {
	k := sizeClass(n)
	if k > maxPooledClass {
		b := make([]byte, (n+1<<16-1)&^(1<<16-1))
		return &b
	}
	if p, _ := classPools[k].Get().(*[]byte); p != nil {
		return p
	}
	b := make([]byte, defaultBufSize<<k)
	return &b
}

func putBuf(p *[]byte) {
	n := len(*p)
	k := sizeClass(n)
	if k > maxPooledClass || defaultBufSize<<k != n {
		return
	}
	classPools[k].Put(p)
}

// A pattern is the sequence of buffer sizes a decoder needs, one per
// operation: the 64 KiB buffer every Reader starts with (and gets again at
// each NewReader), and the larger buffer a payload bigger than it needs for
// as long as that operation is being read.
type pattern struct {
	name  string
	sizes []int
	// warmup is how many operations run before timing starts: enough for
	// bytebufferpool to calibrate (it does every 42 000 Puts of one size)
	// where one size dominates.
	warmup int
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

var patterns = []pattern{
	// Connections opening and closing, or readers reset: the default only.
	{"default-64KiB", []int{defaultBufSize}, 50_000},
	// A stream of small messages with an occasional 1 MiB one (1 in 100):
	// the buffer grows for it and shrinks back after.
	{"1pct-1MiB", append(repeat(99, defaultBufSize), 1<<20), 50_000},
	// Large payloads of varied sizes (object-store chunks, big KV values).
	// No size reaches 95 % of the Puts, so calibration would keep every
	// size (as does an uncalibrated pool): no warm-up beyond filling it.
	{"mixed-128KiB-4MiB", []int{128 << 10, 256 << 10, 1 << 20, 4 << 20}, 1_000},
}

// fill stands for the socket reads: the bytes of the operation are copied
// into the buffer, so a buffer that is too small must grow first.
var src = make([]byte, 4<<20)

// BenchmarkReadBuffer gets a buffer for each operation of a pattern, fills
// it with the operation's bytes and gives it back, on every core at once
// (one reader per connection), with the codec's size classes and with
// bytebufferpool used as its README shows (Get, append, Put).
func BenchmarkReadBuffer(b *testing.B) {
	for _, p := range patterns {
		b.Run(p.name+"/sizeclass", func(b *testing.B) {
			op := func(n int) int {
				buf := getBuf(n)
				copy((*buf)[:n], src[:n])
				held := cap(*buf)
				putBuf(buf)
				return held
			}
			run(b, p, op)
		})
		b.Run(p.name+"/bytebufferpool", func(b *testing.B) {
			var pool bytebufferpool.Pool
			op := func(n int) int {
				bb := pool.Get()
				bb.B = append(bb.B[:0], src[:n]...)
				held := cap(bb.B)
				pool.Put(bb)
				return held
			}
			run(b, p, op)
		})
	}
}

// run times op over the pattern and reports, beside time and allocations,
// held-B/op: the capacity of the buffer an operation was read into, which a
// connection holds while it reads that operation (bytebufferpool has one
// pool for all sizes, so a small operation may get, and keep in use, a
// buffer grown for a large one).
func run(b *testing.B, p pattern, op func(n int) int) {
	for i := range p.warmup {
		op(p.sizes[i%len(p.sizes)])
	}
	var held atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i, sum := 0, 0
		for pb.Next() {
			sum += op(p.sizes[i%len(p.sizes)])
			i++
		}
		held.Add(int64(sum))
	})
	b.ReportMetric(float64(held.Load())/float64(b.N), "held-B/op")
}
