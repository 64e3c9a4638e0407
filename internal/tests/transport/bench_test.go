package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/starling-nats/starling/transport"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/starling-nats/starling/harness"
)

// The benchmarks run a write/read loop against nats-server processes (so -benchmem
// and cpu-ns/op count the client alone): PUB to a subject this connection subscribes
// to, then read the MSG back. docs/perf.md ("## transport") records the results.
//
//	go test ./transport -run '^$' -bench 'RoundTrip|Stream' -benchmem -count 5

var benchSizes = []int{16, 64 << 10}

func benchSizeName(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// benchServers starts one server for tcp and ws, one for tls and wss.
type benchServers struct {
	plain, secure *harness.Server
	tls           *transport.TLSSettings
}

func startBenchServers(b *testing.B) *benchServers {
	plain := harness.RunServer(b, harness.WithProcess(), harness.WithWebSocket(), harness.WithMaxPayload(8<<20))
	secure := harness.RunServer(b, harness.WithProcess(), harness.WithTLS(), harness.WithWebSocket(harness.WSTLS()), harness.WithMaxPayload(8<<20))
	ts, err := transport.NewTLSSettings(transport.WithRootCAs(secure.TLS().CAPool))
	if err != nil {
		b.Fatal(err)
	}
	return &benchServers{plain: plain, secure: secure, tls: ts}
}

var benchTransports = []string{"tcp", "tls", "ws", "wss"}

// conn dials the transport, runs the NATS handshake (with the TLS upgrade for tls)
// and subscribes to "s".
func (s *benchServers) conn(b *testing.B, kind string) transport.Conn {
	var url string
	switch kind {
	case "tcp":
		url = s.plain.ClientURL()
	case "tls":
		url = "tls://" + s.secure.Addr()
	case "ws":
		url = s.plain.WebSocketURL()
	case "wss":
		url = s.secure.WebSocketURL()
	}
	addr, err := transport.ParseAddr(url)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := transport.NewDialer(transport.WithTLS(s.tls)).Dial(ctx, addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil { // INFO, alone in its read: nothing follows it
		b.Fatal(err)
	}
	if kind == "tls" {
		if c, err = transport.UpgradeTLS(ctx, c, s.tls.Config(addr.TLSServerName())); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
	}
	if _, err := io.WriteString(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB s 1\r\nPING\r\nPING\r\n"); err != nil {
		b.Fatal(err)
	}
	// The INFO the server sends after the first PONG comes before the second PONG.
	var got []byte
	for bytes.Count(got, []byte("PONG\r\n")) < 2 {
		n, err := c.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	return c
}

// pubMsg returns a PUB of size bytes to "s" and the length of the MSG it comes back as.
func pubMsg(size int) ([]byte, int) {
	pub := fmt.Appendf(nil, "PUB s %d\r\n", size)
	pub = append(pub, bytes.Repeat([]byte{'x'}, size)...)
	pub = append(pub, "\r\n"...)
	return pub, len(fmt.Sprintf("MSG s 1 %d\r\n", size)) + size + 2
}

// BenchmarkRoundTrip writes one PUB and reads its MSG back before the next: the cost
// of a Write and of the Reads of one message, plus a round trip through the server.
func BenchmarkRoundTrip(b *testing.B) {
	s := startBenchServers(b)
	for _, kind := range benchTransports {
		for _, size := range benchSizes {
			b.Run(kind+"/"+benchSizeName(size), func(b *testing.B) {
				c := s.conn(b, kind)
				pub, msgLen := pubMsg(size)
				buf := make([]byte, msgLen)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if _, err := c.Write(pub); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// BenchmarkStream writes b.N PUBs from one goroutine, at most 64 ahead of the reader,
// while the benchmark goroutine reads the MSGs: throughput.
func BenchmarkStream(b *testing.B) {
	s := startBenchServers(b)
	for _, kind := range benchTransports {
		for _, size := range benchSizes {
			b.Run(kind+"/"+benchSizeName(size), func(b *testing.B) {
				c := s.conn(b, kind)
				pub, msgLen := pubMsg(size)
				benchStream(b, c, pub, msgLen, size)
			})
		}
	}
}

// benchStream reports MB/s of payload (size bytes per message), like BenchmarkRoundTrip.
func benchStream(b *testing.B, c transport.Conn, msg []byte, want, size int) {
	const window = 64
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range b.N {
			<-credits
			if _, err := c.Write(msg); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	total := int64(want) * int64(b.N)
	var read int64
	for read < total {
		n, err := c.Read(buf[:min(int64(len(buf)), total-read)])
		if err != nil {
			b.Fatal(err)
		}
		before := read / int64(want)
		read += int64(n)
		for range read/int64(want) - before {
			credits <- struct{}{}
		}
	}
	wg.Wait()
	reportCPU(b, cpu)
}

// BenchmarkPipe is the in-memory baseline: a 16 B and a 64 KiB write/read loop
// through NewPipe, no network, no server.
func BenchmarkPipe(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(benchSizeName(size), func(b *testing.B) {
			a, p := transport.NewPipe(transport.WithPipeBuffer(128 << 10))
			defer a.Close()
			defer p.Close()
			msg := bytes.Repeat([]byte{'x'}, size)
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(p, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuTime is the user+system CPU time of this process. On a shared machine CPU per
// operation holds where wall time per operation swings with the other load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
