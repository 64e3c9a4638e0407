//go:build !race

// Allocation counts are exact only without the race detector, which makes sync.Pool
// drop items at random; these tests run in the ordinary (non-race) test run.

package obj_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/obj"
)

// Allocations per chunk, as the difference between a large and a small
// object (the fixed cost of a get or put, its API calls and consumer,
// cancels out), against a server in its own process so only the client
// counts. Get: the chunk buffers are recycled within a read and pooled
// between reads, the ack metadata is parsed in place; what is left is the
// pull request sent per window (measured 0.31): at most 0.5 per chunk.
// Put: the PubAck future and its share of the window's waits (measured
// 1.30): at most 2.
func TestAllocsPerChunk(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	_, j := connectJS(t, s.ClientURL())
	ctx := testCtx(t, 2*time.Minute)
	st := newStore(t, j, "allocs")
	const chunk = 16 * 1024
	const small, large = 2, 66
	smallData := randomBytes(small*chunk, 1)
	largeData := randomBytes(large*chunk, 2)
	for name, data := range map[string][]byte{"small": smallData, "large": largeData} {
		_, err := st.PutBytes(ctx, name, data, obj.WithChunkSize(chunk))
		require.NoError(t, err)
	}

	get := func(name string) func() {
		return func() {
			r, err := st.Get(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.WriteTo(io.Discard); err != nil {
				t.Fatal(err)
			}
			_ = r.Close()
		}
	}
	get("large")() // fill the buffer pool
	perChunk := (testing.AllocsPerRun(5, get("large")) - testing.AllocsPerRun(5, get("small"))) / (large - small)
	t.Logf("get: %.2f allocations per chunk", perChunk)
	assert.LessOrEqual(t, perChunk, 0.5)

	put := func(data []byte) func() {
		return func() {
			if _, err := st.Put(ctx, obj.Meta{Name: "p"}, bytes.NewReader(data), obj.WithChunkSize(chunk)); err != nil {
				t.Fatal(err)
			}
		}
	}
	perChunk = (testing.AllocsPerRun(5, put(largeData)) - testing.AllocsPerRun(5, put(smallData))) / (large - small)
	t.Logf("put: %.2f allocations per chunk", perChunk)
	assert.LessOrEqual(t, perChunk, 2.0)
}
