package transport

import (
	"strconv"
	"testing"
)

// BenchmarkMask measures the WebSocket masking pass, which every client frame pays.
func BenchmarkMask(b *testing.B) {
	for _, size := range []int{16, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			p := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				maskBytes(0x12345678, p)
			}
		})
	}
}
