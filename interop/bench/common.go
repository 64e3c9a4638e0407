package main

import (
	"bytes"
	"runtime"
	"time"
)

// The header of the header cases: one key, a 16-byte value.
const (
	benchHeaderKey   = "Bench-Key"
	benchHeaderValue = "0123456789abcdef"
)

// benchHeaderBlock is the header as every client encodes it, for the raw
// socket's pre-encoded HPUB.
var benchHeaderBlock = []byte("NATS/1.0\r\n" + benchHeaderKey + ": " + benchHeaderValue + "\r\n\r\n")

// payload returns size bytes of 'x': no protocol text, so the raw reader's
// count of "MSG " is exact.
func payload(size int) []byte { return bytes.Repeat([]byte{'x'}, size) }

// heapAndStack returns the heap and stack memory in use after a full
// collection: what live objects and goroutines cost.
func heapAndStack() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func goroutines() int { return runtime.NumGoroutine() }

// waitGoroutines waits (up to 30 s) until no more than base goroutines run.
func waitGoroutines(base int) {
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
