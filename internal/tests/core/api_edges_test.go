package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

// TestIsTemporaryRequestDeadline: a request that ran out of its context's
// deadline may succeed when retried; one whose context was cancelled was
// stopped on purpose. A retry loop built on IsTemporary used to give up on
// every timeout.
func TestIsTemporaryRequestDeadline(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	// A subscriber that never answers, so the request waits (no 503).
	_, err := nc.SubscribeSync("silent")
	require.NoError(t, err)
	flush(t, nc)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = nc.Request(ctx, "silent", nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, core.IsTemporary(err), "a request that timed out is worth retrying")

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = nc.Request(ctx, "silent", nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, core.IsTemporary(err), "a cancelled request is not retried")

	_, err = nc.Request(testCtx(t, 5*time.Second), "nobody", nil)
	assert.True(t, core.IsTemporary(err), "no responders")
}

// TestRequestManyReportsDroppedReplies has 50 replies arrive while the loop
// is busy with the first and the pending limit is 5: most cannot wait.
// They used to vanish; now the loop yields a *RepliesDroppedError with
// their count after the replies that waited, and goes on.
func TestRequestManyReportsDroppedReplies(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	responder := connect(t, s.ClientURL())
	const replies, limit = 50, 5
	_, err := responder.Subscribe("many", func(m *core.Msg) {
		for i := 0; i < replies; i++ {
			_ = responder.Publish(m.Reply, []byte(itoa(i)))
		}
	})
	require.NoError(t, err)
	flush(t, responder)
	nc := connect(t, s.ClientURL(), core.WithPendingLimits(limit, 0))

	var got []string
	var drops []*core.RepliesDroppedError
	first := true
	for m, err := range nc.RequestMany(testCtx(t, 10*time.Second), "many", nil, core.StallTimeout(500*time.Millisecond)) {
		if err != nil {
			var de *core.RepliesDroppedError
			require.ErrorAs(t, err, &de)
			assert.ErrorIs(t, err, core.ErrSlowConsumer)
			assert.Equal(t, limit, de.Limit)
			drops = append(drops, de)
			got = append(got, "dropped")
			continue
		}
		got = append(got, string(m.Data))
		if first {
			first = false
			time.Sleep(300 * time.Millisecond) // the other replies arrive meanwhile
		}
	}
	require.Len(t, drops, 1, "replies: %v", got)
	// In order: the replies that found room, then the report of the rest,
	// which came after them. Nothing is lost unaccounted.
	kept := len(got) - 1
	want := make([]string, 0, kept+1)
	for i := 0; i < kept; i++ {
		want = append(want, itoa(i))
	}
	assert.Equal(t, append(want, "dropped"), got)
	assert.LessOrEqual(t, kept, 1+limit)
	assert.Equal(t, replies, kept+drops[0].Dropped)
}

// TestServerInfoIsDeepCopy changes the slices of a ServerInfo copy and
// checks the Conn's own INFO is untouched: the copy used to share them.
func TestServerInfoIsDeepCopy(t *testing.T) {
	t.Parallel()
	cl := harness.RunCluster(t, 2)
	nc := connect(t, cl.Server(0).ClientURL())
	require.Eventually(t, func() bool {
		info := nc.ServerInfo()
		return info != nil && len(info.ConnectURLs) >= 2
	}, 10*time.Second, 10*time.Millisecond, "the cluster never announced its servers")
	info := nc.ServerInfo()
	want := append([]string(nil), info.ConnectURLs...)
	for i := range info.ConnectURLs {
		info.ConnectURLs[i] = "changed"
	}
	info.ConnectURLs = append(info.ConnectURLs[:0], "x")
	assert.Equal(t, want, nc.ServerInfo().ConnectURLs)
}

// ctxDialer stands for a dialer (a proxy's, say) that gives up when its
// context ends and returns the context's error.
type ctxDialer struct{}

func (ctxDialer) Dial(ctx context.Context, _ transport.Addr) (transport.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// noDeadlineDialer dials with transport's dialer and ignores socket
// deadlines, so that only the context's end (which closes the socket) stops
// a handshake.
type noDeadlineDialer struct{ inner transport.Dialer }

func (d noDeadlineDialer) Dial(ctx context.Context, a transport.Addr) (transport.Conn, error) {
	c, err := d.inner.Dial(ctx, a)
	if err != nil {
		return nil, err
	}
	return noDeadlineConn{c}, nil
}

type noDeadlineConn struct{ transport.Conn }

func (noDeadlineConn) SetDeadline(time.Time) error { return nil }

// TestConnectTimeoutIsNotCallerDeadline: a connect that ran out of its own
// connect timeout while the caller's context had time left is ErrTimeout,
// and not context.DeadlineExceeded, which would tell the caller their
// deadline passed. However the attempt noticed the time was up: the socket
// deadline, the context closing the socket, or a dialer returning the
// context's error.
func TestConnectTimeoutIsNotCallerDeadline(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	for name, dialer := range map[string]transport.Dialer{
		"socket deadline":       transport.NewDialer(),
		"context closes socket": noDeadlineDialer{transport.NewDialer()},
		"dialer returns ctx":    ctxDialer{},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := core.Connect(testCtx(t, 10*time.Second), url, core.WithDialer(dialer),
				core.WithConnectTimeout(150*time.Millisecond))
			require.ErrorIs(t, err, core.ErrTimeout)
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "matches the caller's deadline: %v", err)

			// The caller's own deadline, shorter than the connect
			// timeout, is named as such.
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			_, err = core.Connect(ctx, url, core.WithDialer(dialer), core.WithConnectTimeout(10*time.Second))
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}
