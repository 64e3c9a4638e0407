package codec

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// Decoding benchmarks: one iteration decodes a whole buffer of messages
// (at least 1 MiB, at least 16 messages), so ns/op and MB/s compare directly
// with the IndexByte baseline over the same buffer. Run:
//
//	go test ./codec -run '^$' -bench . -benchmem

var benchSizes = []struct {
	name string
	size int
}{{"16B", 16}, {"128B", 128}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

const benchBufTarget = 1 << 20

func benchStream(size int, headers bool) ([]byte, int) {
	payload := bytes.Repeat([]byte{'x'}, size)
	hdr := Header{"Nats-Msg-Id": {"abcdefgh"}}.Append(nil)
	var buf []byte
	n := 0
	for len(buf) < benchBufTarget || n < 16 {
		if headers {
			buf = AppendHMsg(buf, "bench.subject", 1, "", hdr, payload)
		} else {
			buf = AppendMsg(buf, "bench.subject", 1, "", payload)
		}
		n++
	}
	return buf, n
}

func benchDecode(b *testing.B, headers bool) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			buf, n := benchStream(sz.size, headers)
			src := bytes.NewReader(buf)
			r := NewReader(src, Limits{MaxPayload: 1 << 20})
			defer r.Release()
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				src.Reset(buf)
				r.Reset(src)
				for range n {
					if _, err := r.Next(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
		})
	}
}

func BenchmarkDecodeMsg(b *testing.B)  { benchDecode(b, false) }
func BenchmarkDecodeHMsg(b *testing.B) { benchDecode(b, true) }

// BenchmarkScanIndexByte is the baseline: it only finds every '\n' in the
// same buffers with bytes.IndexByte, which is less than any decoder must do.
func BenchmarkScanIndexByte(b *testing.B) {
	for _, headers := range []bool{false, true} {
		kind := "Msg"
		if headers {
			kind = "HMsg"
		}
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", kind, sz.name), func(b *testing.B) {
				buf, n := benchStream(sz.size, headers)
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				lines := 0
				for b.Loop() {
					rest := buf
					for {
						i := bytes.IndexByte(rest, '\n')
						if i < 0 {
							break
						}
						lines++
						rest = rest[i+1:]
					}
				}
				if lines == 0 {
					b.Fatal("no lines")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			})
		}
	}
}

// BenchmarkDecodeVsScan decodes a buffer of 16-byte MSGs and scans the same
// buffer with the IndexByte baseline, alternately within every iteration, so
// that the ratio (reported as speed-ratio: scan time / decode time, the
// decoder's speed as a fraction of the scan's) does not drift with the load
// of a shared machine.
func BenchmarkDecodeVsScan(b *testing.B) {
	for _, sz := range benchSizes[:2] {
		b.Run(sz.name, func(b *testing.B) {
			buf, n := benchStream(sz.size, false)
			src := bytes.NewReader(buf)
			r := NewReader(src, Limits{})
			defer r.Release()
			var decode, scan time.Duration
			lines := 0
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				src.Reset(buf)
				r.Reset(src)
				for range n {
					if _, err := r.Next(); err != nil {
						b.Fatal(err)
					}
				}
				t1 := time.Now()
				rest := buf
				for {
					i := bytes.IndexByte(rest, '\n')
					if i < 0 {
						break
					}
					lines++
					rest = rest[i+1:]
				}
				t2 := time.Now()
				decode += t1.Sub(t0)
				scan += t2.Sub(t1)
			}
			if lines == 0 {
				b.Fatal("no lines")
			}
			b.ReportMetric(float64(decode.Nanoseconds())/float64(b.N*n), "decode-ns/msg")
			b.ReportMetric(float64(scan.Nanoseconds())/float64(b.N*n), "scan-ns/msg")
			b.ReportMetric(float64(scan)/float64(decode), "speed-ratio")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	payload := make([]byte, 16)
	hdr := Header{"Nats-Msg-Id": {"abcdefgh"}}.Append(nil)
	co := &ConnectOptions{User: "user", Pass: "password", Name: "bench", Lang: "go", Version: "0.1.0",
		Protocol: 1, Echo: true, Headers: true, NoResponders: true}
	dst := make([]byte, 0, 1024)
	cases := []struct {
		name string
		f    func()
	}{
		{"Pub", func() { dst = AppendPub(dst[:0], "bench.subject", "", payload) }},
		{"PubReply", func() { dst = AppendPub(dst[:0], "bench.subject", "_INBOX.abcdefghijklmnop.1", payload) }},
		{"HPub", func() { dst = AppendHPub(dst[:0], "bench.subject", "", hdr, payload) }},
		{"Sub", func() { dst = AppendSub(dst[:0], "bench.>", "workers", 12345) }},
		{"Unsub", func() { dst = AppendUnsub(dst[:0], 12345, 10) }},
		{"Connect", func() { dst = AppendConnect(dst[:0], co) }},
		{"Msg", func() { dst = AppendMsg(dst[:0], "bench.subject", 12345, "", payload) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.f()
			}
		})
	}
}

func BenchmarkHeaderView(b *testing.B) {
	h := HeaderView(Header{"Nats-Msg-Id": {"abcdefgh"}, "Nats-Expected-Stream": {"ORDERS"},
		"Nats-Sequence": {"12345"}, "Content-Type": {"application/json"}}.AppendStatus(nil, 100, "Idle Heartbeat"))
	var n int
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n += len(h.Get("Nats-Sequence"))
		}
	})
	b.Run("GetFold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n += len(h.GetFold("nats-sequence"))
		}
	})
	b.Run("GetMissing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n += len(h.Get("Missing"))
		}
	})
	b.Run("Status", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n += h.Status()
		}
	})
	b.Run("All", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for k, v := range h.All() {
				n += len(k) + len(v)
			}
		}
	})
	if n == 0 {
		b.Fatal("nothing read")
	}
}

// BenchmarkDecodeClientPub decodes PUBs with ClientReader (the fake-server
// side), 16-byte payloads.
func BenchmarkDecodeClientPub(b *testing.B) {
	var buf []byte
	n := 0
	for len(buf) < benchBufTarget {
		buf = AppendPub(buf, "bench.subject", "", make([]byte, 16))
		n++
	}
	src := bytes.NewReader(buf)
	r := NewClientReader(src, Limits{})
	defer r.Release()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(buf)
		r.Reset(src)
		for range n {
			if _, err := r.Next(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
}
