package core

import (
	"bytes"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// A batch of every kind of op the writer buffers, and the offset where each
// op starts.
func mixedBatch() (batch []byte, starts []int) {
	add := func(b []byte) {
		starts = append(starts, len(batch))
		batch = append(batch, b...)
	}
	add(codec.AppendPub(nil, "a", "", []byte("one")))
	add(codec.AppendSub(nil, "s", "", 1))
	add(codec.AppendHPub(nil, "b", "r", []byte("NATS/1.0\r\nK: v\r\n\r\n"), []byte("two\r\nwith CRLF")))
	add(codec.AppendPing(nil))
	add(codec.AppendPub(nil, "c", "", nil))
	add(codec.AppendPong(nil))
	add(codec.AppendUnsub(nil, 1, 0))
	add(codec.AppendPub(nil, "d", "", bytes.Repeat([]byte("x"), 300)))
	return batch, starts
}

// opAt returns the start of the op that byte n falls in: the first op the
// socket did not take whole when it took n bytes.
func opAt(starts []int, total, n int) int {
	for i := len(starts) - 1; i >= 0; i-- {
		if starts[i] <= n {
			if i == len(starts)-1 || n < starts[i+1] {
				return starts[i]
			}
		}
	}
	return total
}

// For every place a write can break, salvage keeps exactly the publishes
// from the op the socket did not take whole onwards, that op whole, then
// the publishes buffered since; nothing the socket took whole comes back.
func TestSalvageEveryCut(t *testing.T) {
	batch, starts := mixedBatch()
	later := codec.AppendPub(nil, "later", "", []byte("3"))
	later = codec.AppendPing(later)
	for n := 0; n <= len(batch); n++ {
		from := len(batch) // the first op the socket did not take whole
		for i, s := range starts {
			end := len(batch)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			if end > n {
				from = s
				break
			}
		}
		want := keepPublishes(nil, batch[from:])
		want = keepPublishes(want, later)
		got := salvage(append([]byte(nil), batch...), n, append([]byte(nil), later...))
		if !bytes.Equal(got, want) {
			t.Fatalf("cut at %d: got %q, want %q", n, got, want)
		}
	}
}

// A write cut short by its caller's deadline puts back what the socket did
// not take, from the op it was cut in, ahead of what was buffered since,
// and w.sent says how much of that op is already out: the next write goes
// on from the byte after the last one taken, so the stream stays whole.
func TestPutBackEveryCut(t *testing.T) {
	batch, starts := mixedBatch()
	later := codec.AppendPub(nil, "later", "", []byte("3"))
	for n := 0; n < len(batch); n++ {
		w := &writer{buf: append([]byte(nil), later...)}
		w.putBack(append([]byte(nil), batch...), n)
		head := opAt(starts, len(batch), n)
		want := append(append([]byte(nil), batch[head:]...), later...)
		if !bytes.Equal(w.buf, want) {
			t.Fatalf("cut at %d: buffer %q, want %q", n, w.buf, want)
		}
		if w.sent != n-head {
			t.Fatalf("cut at %d: sent %d, want %d", n, w.sent, n-head)
		}
		// What the socket took, then what the next write sends, is the
		// batch and the later ops, once each.
		stream := append(append([]byte(nil), batch[:n]...), w.buf[w.sent:]...)
		if !bytes.Equal(stream, append(append([]byte(nil), batch...), later...)) {
			t.Fatalf("cut at %d: the stream repeats or skips bytes", n)
		}
	}
}

// A failed write ends the session for the writer at once: it leaves
// wsConnected (so no other batch is taken for that socket), remembers the
// error, and keeps the publishes the socket did not take.
func TestFailStopsTheWriter(t *testing.T) {
	batch, starts := mixedBatch()
	w := &writer{state: wsConnected}
	n := starts[2] + 5 // inside the HPUB
	w.buf = codec.AppendPub(nil, "later", "", nil)
	w.fail(append([]byte(nil), batch...), n, errTestWrite, 0)
	if w.state != wsDisconnected {
		t.Fatalf("state %v after a failed write", w.state)
	}
	if w.err == nil {
		t.Fatal("the write error is not kept")
	}
	want := keepPublishes(nil, batch[starts[2]:])
	want = append(want, codec.AppendPub(nil, "later", "", nil)...)
	if !bytes.Equal(w.buf, want) {
		t.Fatalf("kept %q, want %q", w.buf, want)
	}
	if w.claimWake() {
		t.Fatal("the flusher would be woken for a dead socket")
	}
}

var errTestWrite = bytes.ErrTooLarge // any error that is not a timeout
