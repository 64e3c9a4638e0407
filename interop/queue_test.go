package interop

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// queueLedger records which member received each message of a queue group.
type queueLedger struct {
	mu    sync.Mutex
	owner map[string]string // message id → member
	dupes []string
	// seen counts what each member handled, duplicates included.
	seen map[string]int
}

func newQueueLedger() *queueLedger {
	return &queueLedger{owner: make(map[string]string), seen: make(map[string]int)}
}

func (l *queueLedger) handled(member string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(l.seen[member])
}

func (l *queueLedger) record(member, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[member]++
	if prev, ok := l.owner[id]; ok {
		l.dupes = append(l.dupes, fmt.Sprintf("%s delivered to %s and %s", id, prev, member))
		return
	}
	l.owner[id] = member
}

func (l *queueLedger) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.owner) + len(l.dupes)
}

// A queue group whose members are Starling subscriptions (borrowed, owned,
// pull, channel) and nats.go subscriptions (async, sync, channel), fed by
// both clients: every message reaches exactly one member, and every member
// gets a share.
func TestQueueGroupMixedMembers(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	ledger := newQueueLedger()
	const subject, queue = "work.items", "workers"
	const perPublisher = 700

	type member struct {
		name  string
		flush func()
		// quiet reports whether the member has handled everything its
		// client received: nothing pending, and every delivery recorded.
		quiet func() bool
	}
	var members []member
	for _, k := range starlingKinds {
		sc := connectStarling(t, s.ClientURL())
		name := string(k)
		var sub *core.Subscription
		var err error
		switch k {
		case starlingBorrowed:
			sub, err = sc.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) { ledger.record(name, string(m.Data)) }, core.Queue(queue))
		case starlingOwned:
			sub, err = sc.Subscribe(subject, func(m *core.Msg) { ledger.record(name, string(m.Data)) }, core.Queue(queue))
		case starlingSync:
			sub, err = sc.SubscribeSync(subject, core.Queue(queue))
			if err == nil {
				ps := sub
				pump(t, func(ctx context.Context) {
					for m, err := range ps.Messages(ctx) {
						if err != nil {
							return
						}
						ledger.record(name, string(m.Data))
					}
				})
			}
		case starlingChan:
			ch := make(chan *core.Msg, 16)
			sub, err = sc.SubscribeChan(subject, ch, core.Queue(queue))
			if err == nil {
				pump(t, func(ctx context.Context) {
					for {
						select {
						case m := <-ch:
							ledger.record(name, string(m.Data))
						case <-ctx.Done():
							return
						}
					}
				})
			}
		}
		require.NoError(t, err)
		assert.Equal(t, queue, sub.QueueGroup())
		flushStarling(t, sc)
		members = append(members, member{
			name:  name,
			flush: func() { flushStarling(t, sc) },
			quiet: func() bool { n, _ := sub.Pending(); return n == 0 && sub.Delivered() == ledger.handled(name) },
		})
	}
	for _, k := range natsKinds {
		nc := connectNats(t, s.ClientURL())
		name := string(k)
		var sub *nats.Subscription
		var err error
		switch k {
		case natsAsync:
			sub, err = nc.QueueSubscribe(subject, queue, func(m *nats.Msg) { ledger.record(name, string(m.Data)) })
		case natsSync:
			sub, err = nc.QueueSubscribeSync(subject, queue)
			if err == nil {
				ps := sub
				pump(t, func(ctx context.Context) {
					for {
						m, err := ps.NextMsgWithContext(ctx)
						if err != nil {
							return
						}
						ledger.record(name, string(m.Data))
					}
				})
			}
		case natsChan:
			// nats.go drops (as a slow consumer) what does not fit in the
			// channel, so it must hold every message this test sends.
			ch := make(chan *nats.Msg, 2*perPublisher)
			sub, err = nc.ChanQueueSubscribe(subject, queue, ch)
			if err == nil {
				pump(t, func(ctx context.Context) {
					for {
						select {
						case m := <-ch:
							ledger.record(name, string(m.Data))
						case <-ctx.Done():
							return
						}
					}
				})
			}
		}
		require.NoError(t, err)
		flushNats(t, nc)
		members = append(members, member{
			name:  name,
			flush: func() { flushNats(t, nc) },
			quiet: func() bool {
				// A channel subscription has no queue of its own:
				// Pending fails for it and Delivered counts the sends.
				n, _, err := sub.Pending()
				if err != nil {
					n = 0
				}
				d, _ := sub.Delivered()
				return n == 0 && d == ledger.handled(name)
			},
		})
	}

	// Both clients publish, from separate connections, concurrently.
	spub := connectStarling(t, s.ClientURL())
	npub := connectNats(t, s.ClientURL())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range perPublisher {
			if err := spub.Publish(subject, []byte("s-"+strconv.Itoa(i))); err != nil {
				t.Errorf("starling publish: %v", err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range perPublisher {
			if err := npub.Publish(subject, []byte("n-"+strconv.Itoa(i))); err != nil {
				t.Errorf("nats.go publish: %v", err)
				return
			}
		}
	})
	wg.Wait()
	flushStarling(t, spub)
	flushNats(t, npub)

	eventually(t, "every message received", func() bool { return ledger.total() >= 2*perPublisher })

	// Anything the server sent reached each member's connection before its
	// PONG; once their queues are empty too, a duplicate would have shown.
	for _, m := range members {
		m.flush()
	}
	eventually(t, "members idle", func() bool {
		for _, m := range members {
			if !m.quiet() {
				return false
			}
		}
		return true
	})

	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	assert.Empty(t, ledger.dupes, "each message goes to exactly one member")
	assert.Len(t, ledger.owner, 2*perPublisher)
	for i := range perPublisher {
		assert.Contains(t, ledger.owner, "s-"+strconv.Itoa(i))
		assert.Contains(t, ledger.owner, "n-"+strconv.Itoa(i))
	}
	// With 1400 messages over 7 members picked at random by the server, a
	// member left without any would mean its subscription was not in the
	// group.
	for _, m := range members {
		assert.Positive(t, ledger.seen[m.name], "member %s received nothing", m.name)
	}
	t.Logf("distribution: %v", ledger.seen)
}

// Requests from both clients to a queue group of responders from both
// clients: each request gets exactly one reply, from one member.
func TestQueueGroupRequests(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	const subject, queue = "svc.queued", "responders"

	var mu sync.Mutex
	served := make(map[string]int)
	count := func(who string) {
		mu.Lock()
		served[who]++
		mu.Unlock()
	}
	for i, k := range []recvKind{starlingBorrowed, starlingOwned} {
		sc := connectStarling(t, s.ClientURL())
		name := string(k) + "-" + strconv.Itoa(i)
		if k == starlingBorrowed {
			_, err := sc.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) { count(name); _ = m.Respond([]byte(name)) }, core.Queue(queue))
			require.NoError(t, err)
		} else {
			_, err := sc.Subscribe(subject, func(m *core.Msg) { count(name); _ = m.Respond([]byte(name)) }, core.Queue(queue))
			require.NoError(t, err)
		}
		flushStarling(t, sc)
	}
	for i := range 2 {
		nc := connectNats(t, s.ClientURL())
		name := "natsgo-" + strconv.Itoa(i)
		_, err := nc.QueueSubscribe(subject, queue, func(m *nats.Msg) { count(name); _ = m.Respond([]byte(name)) })
		require.NoError(t, err)
		flushNats(t, nc)
	}

	sreq := connectStarling(t, s.ClientURL())
	nreq := connectNats(t, s.ClientURL())
	const perRequester = 200
	replies := make(map[string]int)
	ctx := testCtx(t)
	for range perRequester {
		r, err := sreq.Request(ctx, subject, nil)
		require.NoError(t, err)
		replies[string(r.Data)]++
		nr, err := nreq.RequestWithContext(ctx, subject, nil)
		require.NoError(t, err)
		replies[string(nr.Data)]++
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for who, n := range served {
		total += n
		assert.Equal(t, n, replies[who], "replies from %s", who)
	}
	assert.Equal(t, 2*perRequester, total, "each request served once")
	assert.Len(t, served, 4, "every responder took part: %v", served)
}
