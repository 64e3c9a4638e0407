package js

// deadlineEntry is one async publish's ack deadline.
type deadlineEntry struct {
	at  int64 // Unix ns
	idx int32
	gen uint32
	fut *PubAckFuture
}

// deadlineQueue is a FIFO ring of deadlines. Every async publish has the
// same ack timeout, so deadlines come in order and the front is always the
// next due. It grows by doubling and is reused, so pushes do not allocate
// once it has reached the size the traffic needs.
type deadlineQueue struct {
	buf  []deadlineEntry
	head int
	n    int
}

func (q *deadlineQueue) len() int { return q.n }

func (q *deadlineQueue) push(e deadlineEntry) {
	if q.n == len(q.buf) {
		nb := make([]deadlineEntry, max(64, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
}

func (q *deadlineQueue) front() deadlineEntry { return q.buf[q.head] }

func (q *deadlineQueue) pop() {
	q.buf[q.head] = deadlineEntry{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
}

func (q *deadlineQueue) reset() {
	for q.n > 0 {
		q.pop()
	}
}
