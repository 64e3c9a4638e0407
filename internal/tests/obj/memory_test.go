package obj_test

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/obj"
)

// patternReader yields n bytes of a cheap repeating pattern without
// holding them: the test's own memory stays flat.
type patternReader struct{ left int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		b[i] = byte(i*7 + int(p.left))
	}
	p.left -= int64(len(b))
	return len(b), nil
}

// heapPeak samples the live heap until stop and reports the peak above
// the baseline taken after a GC at start.
func heapPeak() (stop func() uint64) {
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
		t := time.NewTicker(5 * time.Millisecond)
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
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestLargePutGetHeapBounded puts and gets a 1 GiB object (64 MiB with
// -short) against a server in its own process, so only the client's heap
// is sampled, and checks the peak heap growth of each stays under
// 64 MiB: memory follows the windows (16 chunks in flight on put, at most
// 2×16+1 chunk buffers on get), not the object; -short only makes it
// quicker, the bound is the same.
func TestLargePutGetHeapBounded(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	_, jj := connectJS(t, s.ClientURL())
	ctx := testCtx(t, 5*time.Minute)
	st := newStore(t, jj, "big")

	stop := heapPeak()
	start := time.Now()
	info, err := st.Put(ctx, obj.Meta{Name: "big"}, &patternReader{left: size})
	putPeak := stop()
	require.NoError(t, err)
	putTime := time.Since(start)
	assert.Equal(t, uint64(size), info.Size)

	stop = heapPeak()
	start = time.Now()
	r, err := st.Get(ctx, "big")
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, r)
	getPeak := stop()
	require.NoError(t, err, "size and digest verified")
	require.NoError(t, r.Close())
	getTime := time.Since(start)
	assert.Equal(t, size, n)

	t.Logf("object %d MiB: put peak heap growth %.1f MiB (%.0f MB/s), get peak heap growth %.1f MiB (%.0f MB/s)",
		size>>20, float64(putPeak)/(1<<20), float64(size)/putTime.Seconds()/1e6,
		float64(getPeak)/(1<<20), float64(size)/getTime.Seconds()/1e6)
	assert.Less(t, putPeak, uint64(64<<20))
	assert.Less(t, getPeak, uint64(64<<20))
}
