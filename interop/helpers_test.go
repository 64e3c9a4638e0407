package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// testTimeout bounds every wait of a test. Generous, because the machines
// are shared and the race detector is slow; a passing test never waits it.
const testTimeout = 10 * time.Second

// testCtx returns a context that ends after testTimeout or with the test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// connectStarling connects a Starling client and closes it, waiting for its
// goroutines, when the test ends.
func connectStarling(t testing.TB, url string, opts ...core.Option) *core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	opts = append([]core.Option{core.WithName(t.Name() + "/starling")}, opts...)
	c, err := core.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		select {
		case <-c.Closed():
		case <-time.After(testTimeout):
			t.Errorf("starling connection did not shut down within %v", testTimeout)
		}
	})
	return c
}

// connectNats connects a nats.go client and closes it when the test ends.
func connectNats(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.Name(t.Name() + "/nats.go"), nats.Timeout(testTimeout)}, opts...)
	nc, err := nats.Connect(url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// flushStarling waits until the server has processed everything c sent.
func flushStarling(t testing.TB, c *core.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
}

// flushNats waits until the server has processed everything nc sent.
func flushNats(t testing.TB, nc *nats.Conn) {
	t.Helper()
	require.NoError(t, nc.FlushTimeout(testTimeout))
}

// payload returns n reproducible pseudo-random bytes: every size and seed
// gives different content, so a message delivered to the wrong place or
// corrupted in transit shows.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// requireData fails with the lengths and the first differing offset rather
// than dumping megabytes.
func requireData(t testing.TB, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	t.Fatalf("%s: payload differs: want %d bytes, got %d, first difference at offset %d", what, len(want), len(got), i)
}

// got is a received message in a form common to both clients, so one
// assertion serves every way of receiving.
type got struct {
	Subject string
	Reply   string
	// Header holds the header fields, without the status line; nil when
	// there are none.
	Header map[string][]string
	// Status and Description come from the header block's status line.
	Status      int
	Description string
	Data        []byte
}

func fromStarling(m *core.Msg) got {
	g := got{Subject: m.Subject, Reply: m.Reply, Status: m.Status(), Description: m.Description(), Data: m.Data}
	if len(m.Header) > 0 {
		g.Header = map[string][]string(m.Header)
	}
	return g
}

// fromBorrowed copies a borrowed message, reading its header through the
// HeaderView (not through Copy), so that the zero-copy view is what the
// tests check.
func fromBorrowed(m *core.BorrowedMsg) got {
	g := got{
		Subject: string(m.Subject), Reply: string(m.Reply),
		Status: m.Status(), Description: string(m.Description()),
		Data: bytes.Clone(m.Data),
	}
	for k, v := range m.Header.All() {
		if g.Header == nil {
			g.Header = make(map[string][]string)
		}
		g.Header[string(k)] = append(g.Header[string(k)], string(v))
	}
	return g
}

// fromNats converts a nats.go message; nats.go puts the status line into
// the Status and Description header keys, which are taken out again here.
func fromNats(m *nats.Msg) got {
	g := got{Subject: m.Subject, Reply: m.Reply, Data: m.Data}
	if len(m.Header) == 0 {
		return g
	}
	h := make(map[string][]string, len(m.Header))
	for k, v := range m.Header {
		h[k] = v
	}
	if s := h["Status"]; len(s) > 0 {
		g.Status, _ = strconv.Atoi(s[0])
		delete(h, "Status")
		if d := h["Description"]; len(d) > 0 {
			g.Description = d[0]
		}
		delete(h, "Description")
	}
	if len(h) > 0 {
		g.Header = h
	}
	return g
}

// recvKind is one way of receiving, on either client.
type recvKind string

// Starling's four ways of receiving (core.Subscribe*), and nats.go's three.
const (
	starlingBorrowed recvKind = "starling-borrowed"
	starlingOwned    recvKind = "starling-owned"
	starlingSync     recvKind = "starling-sync"
	starlingChan     recvKind = "starling-chan"
	natsAsync        recvKind = "natsgo-async"
	natsSync         recvKind = "natsgo-sync"
	natsChan         recvKind = "natsgo-chan"
)

var (
	starlingKinds = []recvKind{starlingBorrowed, starlingOwned, starlingSync, starlingChan}
	natsKinds     = []recvKind{natsAsync, natsSync, natsChan}
)

// inbox collects received messages for a test, as got values.
type inbox struct {
	ch chan got
}

func newInbox() *inbox { return &inbox{ch: make(chan got, 4096)} }

func (b *inbox) put(g got) { b.ch <- g }

// next waits for the next message.
func (b *inbox) next(t testing.TB, what string) got {
	t.Helper()
	select {
	case g := <-b.ch:
		return g
	case <-time.After(testTimeout):
		t.Fatalf("%s: no message within %v", what, testTimeout)
		return got{}
	}
}

// empty fails if a message is waiting.
func (b *inbox) empty(t testing.TB, what string) {
	t.Helper()
	select {
	case g := <-b.ch:
		t.Fatalf("%s: unexpected message on %q (%d bytes)", what, g.Subject, len(g.Data))
	default:
	}
}

// pump runs f on a goroutine that the test waits for at cleanup, after
// cancelling the context f gets.
func pump(t testing.TB, f func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// subscribeStarling subscribes c to subject in the given way and returns
// the subscription and where its messages arrive.
func subscribeStarling(t testing.TB, c *core.Conn, kind recvKind, subject string, opts ...core.SubOption) (*core.Subscription, *inbox) {
	t.Helper()
	in := newInbox()
	var (
		sub *core.Subscription
		err error
	)
	switch kind {
	case starlingBorrowed:
		sub, err = c.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) { in.put(fromBorrowed(m)) }, opts...)
	case starlingOwned:
		sub, err = c.Subscribe(subject, func(m *core.Msg) { in.put(fromStarling(m)) }, opts...)
	case starlingSync:
		sub, err = c.SubscribeSync(subject, opts...)
		if err == nil {
			s := sub
			pump(t, func(ctx context.Context) {
				for m, err := range s.Messages(ctx) {
					if err != nil {
						return
					}
					in.put(fromStarling(m))
				}
			})
		}
	case starlingChan:
		ch := make(chan *core.Msg, 64)
		sub, err = c.SubscribeChan(subject, ch, opts...)
		if err == nil {
			pump(t, func(ctx context.Context) {
				for {
					select {
					case m := <-ch:
						in.put(fromStarling(m))
					case <-ctx.Done():
						return
					}
				}
			})
		}
	default:
		t.Fatalf("not a Starling way of receiving: %s", kind)
	}
	require.NoError(t, err, "%s subscribe %q", kind, subject)
	return sub, in
}

// subscribeNats subscribes nc to subject (in queue group queue, if not
// empty) in the given way.
func subscribeNats(t testing.TB, nc *nats.Conn, kind recvKind, subject, queue string) (*nats.Subscription, *inbox) {
	t.Helper()
	in := newInbox()
	var (
		sub *nats.Subscription
		err error
	)
	switch kind {
	case natsAsync:
		sub, err = nc.QueueSubscribe(subject, queue, func(m *nats.Msg) { in.put(fromNats(m)) })
	case natsSync:
		sub, err = nc.QueueSubscribeSync(subject, queue)
		if err == nil {
			s := sub
			pump(t, func(ctx context.Context) {
				for {
					m, err := s.NextMsgWithContext(ctx)
					switch {
					case errors.Is(err, nats.ErrNoResponders):
						// NextMsg reports a 503 status message as this
						// error instead of returning the message.
						in.put(got{Subject: s.Subject, Status: 503})
						continue
					case err != nil:
						return
					}
					in.put(fromNats(m))
				}
			})
		}
	case natsChan:
		// nats.go drops what does not fit in the channel (a slow
		// consumer), so it is as large as the inbox.
		ch := make(chan *nats.Msg, cap(in.ch))
		sub, err = nc.ChanQueueSubscribe(subject, queue, ch)
		if err == nil {
			pump(t, func(ctx context.Context) {
				for {
					select {
					case m := <-ch:
						in.put(fromNats(m))
					case <-ctx.Done():
						return
					}
				}
			})
		}
	default:
		t.Fatalf("not a nats.go way of receiving: %s", kind)
	}
	require.NoError(t, err, "%s subscribe %q", kind, subject)
	return sub, in
}

// rawPublish sends header blocks exactly as given, with HPUB over a bare
// socket: neither client can publish a status line, which only servers
// send, yet both must read one.
func rawPublish(t testing.TB, addr, subject string, headers ...[]byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(testTimeout)))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "INFO "), "server greeting %q", line)
	buf := codec.AppendConnect(nil, &codec.ConnectOptions{Lang: "raw", Version: "0", Protocol: 1, Headers: true, NoResponders: true})
	for _, h := range headers {
		require.NoError(t, codec.HeaderView(h).Validate(), "test header block %q", h)
		buf = codec.AppendHPub(buf, subject, "", h, nil)
	}
	buf = codec.AppendPing(buf)
	_, err = conn.Write(buf)
	require.NoError(t, err)
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, "-ERR") {
			t.Fatalf("server refused raw publish: %s", line)
		}
		if line == "PONG\r\n" {
			return
		}
	}
}

// eventually polls cond every few milliseconds until it holds or the test
// timeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v", what, testTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// isNatsNoResponders and isCoreNoResponders keep the two sentinels apart:
// each client reports no responders with its own error, never the other's.
func isNatsNoResponders(err error) bool { return errors.Is(err, nats.ErrNoResponders) }
func isCoreNoResponders(err error) bool { return errors.Is(err, core.ErrNoResponders) }
