package kv

import (
	"time"
	"unsafe"

	"github.com/starling-nats/starling/core"
)

// queued is one thing waiting for the watcher's reader: an entry, the
// end-of-initial-data marker (entry nil, flow ""), or a flow-control
// subject to answer when the reader gets there.
type queued struct {
	entry *Entry
	flow  string
}

// entryQueue is a FIFO of queued items with a bound on entries. Markers
// and flow-control items do not count against it.
type entryQueue struct {
	items   []queued
	head    int
	entries int
	limit   int
}

func (q *entryQueue) hasRoom() bool { return q.entries < q.limit }

func (q *entryQueue) push(e *Entry) {
	q.items = append(q.items, queued{entry: e})
	q.entries++
}

func (q *entryQueue) pushMarker()       { q.items = append(q.items, queued{}) }
func (q *entryQueue) pushFlow(s string) { q.items = append(q.items, queued{flow: s}) }
func (q *entryQueue) clear()            { *q = entryQueue{limit: q.limit} }
func (q *entryQueue) len() int          { return len(q.items) - q.head }

func (q *entryQueue) pop() (queued, bool) {
	if q.head == len(q.items) {
		return queued{}, false
	}
	it := q.items[q.head]
	q.items[q.head] = queued{}
	q.head++
	if it.entry != nil {
		q.entries--
	}
	if q.head == len(q.items) {
		// Empty: start over at the front, keeping the array unless a
		// burst grew it far past the bound.
		q.head = 0
		if cap(q.items) > 2*q.limit+64 {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
	}
	return it, true
}

// entryArena allocates watch entries in slabs and packs their keys and
// values into shared chunks, so a watch costs well under one allocation
// per entry. An entry keeps its slab and chunk alive while the caller
// holds it: small values only, large ones get their own copy.
type entryArena struct {
	slab  []Entry
	chunk []byte
}

const (
	entrySlab     = 32
	arenaChunk    = 16 << 10
	arenaMaxShare = 1 << 10
)

// entry builds the Entry of a delivered message.
func (a *entryArena) entry(b *Bucket, m *core.BorrowedMsg, meta ackMeta, op Operation) *Entry {
	if len(a.slab) == 0 {
		a.slab = make([]Entry, entrySlab)
	}
	e := &a.slab[0]
	a.slab = a.slab[1:]
	key := m.Subject[min(len(b.keyPrefix), len(m.Subject)):]
	kv := a.bytes(len(key) + len(m.Data))
	copy(kv, key)
	copy(kv[len(key):], m.Data)
	*e = Entry{
		Bucket:    b.name,
		Key:       unsafe.String(unsafe.SliceData(kv), len(key)),
		Revision:  meta.streamSeq,
		Created:   time.Unix(0, meta.timestamp),
		Delta:     meta.pending,
		Operation: op,
	}
	if len(m.Data) > 0 {
		e.Value = kv[len(key):len(kv):len(kv)]
	}
	if op != OpPut {
		e.MarkerReason = markerReason(m.Header.Get(headerMarkerReason))
	}
	return e
}

// bytes returns n bytes no other entry uses.
func (a *entryArena) bytes(n int) []byte {
	if n > arenaMaxShare {
		return make([]byte, n)
	}
	if len(a.chunk) < n {
		a.chunk = make([]byte, arenaChunk)
	}
	b := a.chunk[:n:n]
	a.chunk = a.chunk[n:]
	return b
}
