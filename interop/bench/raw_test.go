package main

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The raw reader counts every "MSG " (and "HMSG ") once, wherever the
// reads split the stream.
func TestRawCountAcrossReads(t *testing.T) {
	stream := []byte(strings.Repeat("MSG a.b 1 4\r\nxxxx\r\nHMSG a.b 1 12 16\r\nNATS/1.0\r\n\r\nxxxx\r\nPING\r\n", 3))
	const want = 6
	for split := 1; split <= len(stream); split++ {
		client, server := net.Pipe()
		p := &rawPubSub{sub: client, cnt: newCounter()}
		p.wg.Add(1)
		go p.count()
		for b := stream; len(b) > 0; {
			k := min(split, len(b))
			_, err := server.Write(b[:k])
			require.NoError(t, err)
			b = b[k:]
		}
		server.Close()
		p.wg.Wait()
		client.Close()
		assert.EqualValues(t, want, p.cnt.got.Load(), "reads of %d bytes", split)
	}
}

func TestRawOpsWritesExactCount(t *testing.T) {
	// 2500 small ops span three batches; 5 large ones are a batch each,
	// every one written in two pieces.
	for size, n := range map[int]int{16: 2500, 64 << 10: 5} {
		ops := newRawOps("s", size, size == 16)
		client, server := net.Pipe()
		done := make(chan int)
		go func() {
			var all []byte
			buf := make([]byte, 128<<10)
			for {
				n, err := server.Read(buf)
				assert.LessOrEqual(t, n, rawBatch, "one write is at most 64 KiB")
				all = append(all, buf[:n]...)
				if err != nil {
					done <- strings.Count(string(all), "PUB s ")
					return
				}
			}
		}()
		require.NoError(t, ops.write(client, int64(n)))
		client.Close()
		assert.Equal(t, n, <-done, "size %d", size)
		server.Close()
	}
}
