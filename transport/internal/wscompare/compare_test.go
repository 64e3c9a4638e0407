package wscompare

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

// A client is one of the two candidates: it opens a WebSocket as a net.Conn.
type client struct {
	name string
	dial func(ctx context.Context, url string) (net.Conn, error)
}

var clients = []client{
	{"own", func(ctx context.Context, url string) (net.Conn, error) {
		a, err := transport.ParseAddr(url)
		if err != nil {
			return nil, err
		}
		return transport.NewDialer().Dial(ctx, a)
	}},
	{"coder", func(ctx context.Context, url string) (net.Conn, error) {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(-1)
		return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
	}},
}

var sizes = []int{16, 64 << 10}

func sizeName(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func dialBench(b *testing.B, cl client, url string) net.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cl.dial(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkEchoRoundTrip writes one message and reads it back from a loopback echo
// server: the cost of one Write and the Reads of one frame, plus a round trip.
func BenchmarkEchoRoundTrip(b *testing.B) {
	srv := startEcho(b)
	for _, cl := range clients {
		for _, size := range sizes {
			b.Run(cl.name+"/"+sizeName(size), func(b *testing.B) {
				c := dialBench(b, cl, srv.url())
				msg := bytes.Repeat([]byte{'x'}, size)
				buf := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if _, err := c.Write(msg); err != nil {
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

// BenchmarkEchoStream writes b.N messages from one goroutine while the benchmark
// goroutine reads them back: throughput, without waiting for each round trip.
func BenchmarkEchoStream(b *testing.B) {
	srv := startEcho(b)
	for _, cl := range clients {
		for _, size := range sizes {
			b.Run(cl.name+"/"+sizeName(size), func(b *testing.B) {
				c := dialBench(b, cl, srv.url())
				stream(b, c, bytes.Repeat([]byte{'x'}, size), size)
			})
		}
	}
}

// stream writes msg b.N times in a goroutine, with at most window messages in flight,
// and reads back want bytes per message.
func stream(b *testing.B, c net.Conn, msg []byte, want int) {
	const window = 64
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer func() { reportCPU(b, cpu) }()
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
}

// BenchmarkNATSRoundTrip publishes to a subject this connection subscribes to on a
// nats-server running as its own process (so -benchmem counts only the client), and
// reads the MSG back.
func BenchmarkNATSRoundTrip(b *testing.B) {
	srv := harness.RunServer(b, harness.WithProcess(), harness.WithWebSocket(), harness.WithMaxPayload(8<<20))
	for _, cl := range clients {
		for _, size := range sizes {
			b.Run(cl.name+"/"+sizeName(size), func(b *testing.B) {
				c := dialBench(b, cl, srv.WebSocketURL())
				pub, msgLen := natsSetup(b, c, size)
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

// BenchmarkNATSStream is BenchmarkNATSRoundTrip with up to 64 messages in flight.
func BenchmarkNATSStream(b *testing.B) {
	srv := harness.RunServer(b, harness.WithProcess(), harness.WithWebSocket(), harness.WithMaxPayload(8<<20))
	for _, cl := range clients {
		for _, size := range sizes {
			b.Run(cl.name+"/"+sizeName(size), func(b *testing.B) {
				c := dialBench(b, cl, srv.WebSocketURL())
				pub, msgLen := natsSetup(b, c, size)
				stream(b, c, pub, msgLen)
			})
		}
	}
}

// natsSetup connects and subscribes; it returns the PUB to send and the length of the
// MSG that comes back.
func natsSetup(b *testing.B, c net.Conn, size int) ([]byte, int) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil { // INFO
		b.Fatal(err)
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
	payload := bytes.Repeat([]byte{'x'}, size)
	pub := append(fmt.Appendf(nil, "PUB s %d\r\n", size), payload...)
	pub = append(pub, "\r\n"...)
	return pub, len(fmt.Sprintf("MSG s 1 %d\r\n", size)) + size + 2
}

// TestFootprint reports goroutines and heap per idle connection (go test -run
// Footprint -v).
func TestFootprint(t *testing.T) {
	srv := startEcho(t)
	const conns = 200
	for _, cl := range clients {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		var cs []net.Conn
		for range conns {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, err := cl.dial(ctx, srv.url())
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			// One round trip so read and write buffers exist.
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		// The echo server runs one goroutine per connection in this process.
		g := runtime.NumGoroutine() - g0 - conns
		t.Logf("%-5s: %.1f goroutines and %d heap bytes per connection (client and echo-server state; the server's share is the same for both)",
			cl.name, float64(g)/conns, (int64(after.HeapAlloc)-int64(before.HeapAlloc))/conns)
		for _, c := range cs {
			c.Close()
		}
	}
}

// TestDeadlineSemantics shows what a passed read deadline leaves behind: core sets
// read deadlines (connect timeout, stale-connection checks), so the connection must
// survive one, as a net.Conn does (go test -run Deadline -v).
func TestDeadlineSemantics(t *testing.T) {
	srv := startEcho(t)
	for _, cl := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := cl.dial(ctx, srv.url())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		_, timeoutErr := c.Read(make([]byte, 1))
		_ = c.SetReadDeadline(time.Time{})
		_, writeErr := c.Write([]byte("x"))
		t.Logf("%-5s: read past deadline: %v; write after it: %v", cl.name, timeoutErr, writeErr)
		if cl.name == "own" && writeErr != nil {
			t.Errorf("own framing: the connection must survive a read deadline: %v", writeErr)
		}
		c.Close()
	}
}
