package interop

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// concurrentRequests is how many requests run at once in the concurrency
// cases: enough to interleave replies on the shared inbox.
const concurrentRequests = 200

// Starling requests, nats.go responds: plain and with headers, through the
// shared inbox and a unique one, empty and header-only replies, many in
// flight at once, and each way a request can fail.
func TestRequestStarlingToNatsGo(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	// echo answers with "echo:" and the data, the request's headers plus
	// one of its own.
	_, err := nc.Subscribe("svc.echo", func(m *nats.Msg) {
		r := nats.NewMsg(m.Reply)
		for k, v := range m.Header {
			r.Header[k] = v
		}
		r.Header.Set("X-Responder", "nats.go")
		r.Data = append([]byte("echo:"), m.Data...)
		_ = m.RespondMsg(r)
	})
	require.NoError(t, err)
	_, err = nc.Subscribe("svc.empty", func(m *nats.Msg) { _ = m.Respond(nil) })
	require.NoError(t, err)
	_, err = nc.Subscribe("svc.hdronly", func(m *nats.Msg) {
		r := nats.NewMsg(m.Reply)
		r.Header.Set("X-Only", "yes")
		_ = m.RespondMsg(r)
	})
	require.NoError(t, err)
	_, err = nc.Subscribe("svc.silent", func(*nats.Msg) {})
	require.NoError(t, err)
	flushNats(t, nc)

	t.Run("request", func(t *testing.T) {
		ctx := testCtx(t)
		for _, n := range []int{0, 16, 64 * 1024} {
			data := payload(n, 7)
			r, err := sc.Request(ctx, "svc.echo", data)
			require.NoError(t, err, "%d bytes", n)
			requireData(t, append([]byte("echo:"), data...), r.Data, "reply")
			assert.Equal(t, map[string][]string{"X-Responder": {"nats.go"}}, map[string][]string(r.Header))
			assert.Zero(t, r.Status())
		}
	})

	t.Run("request with headers", func(t *testing.T) {
		req := &core.Msg{Subject: "svc.echo", Header: richHeader(), Data: []byte("h")}
		r, err := sc.RequestMsg(testCtx(t), req)
		require.NoError(t, err)
		want := richHeader()
		want["X-Responder"] = []string{"nats.go"}
		assert.Equal(t, want, map[string][]string(r.Header))
		assert.Equal(t, "echo:h", string(r.Data))
	})

	t.Run("unique inbox", func(t *testing.T) {
		r, err := sc.Request(testCtx(t), "svc.echo", []byte("u"), core.UniqueInbox())
		require.NoError(t, err)
		assert.Equal(t, "echo:u", string(r.Data))
	})

	t.Run("custom inbox prefix", func(t *testing.T) {
		pc := connectStarling(t, s.ClientURL(), core.WithInboxPrefix("_INTEROP.starling"))
		replyTo := make(chan string, 1)
		sub, err := nc.Subscribe("svc.where", func(m *nats.Msg) { replyTo <- m.Reply; _ = m.Respond(nil) })
		require.NoError(t, err)
		defer sub.Unsubscribe()
		flushNats(t, nc)
		_, err = pc.Request(testCtx(t), "svc.where", nil)
		require.NoError(t, err)
		reply := <-replyTo
		assert.True(t, strings.HasPrefix(reply, "_INTEROP.starling."), "reply subject %q", reply)
		r, err := pc.Request(testCtx(t), "svc.echo", []byte("p"), core.UniqueInbox())
		require.NoError(t, err)
		assert.Equal(t, "echo:p", string(r.Data))
	})

	t.Run("empty and header-only replies", func(t *testing.T) {
		r, err := sc.Request(testCtx(t), "svc.empty", []byte("x"))
		require.NoError(t, err, "an empty reply is a reply, not no-responders")
		assert.Empty(t, r.Data)
		assert.Nil(t, r.Header)
		r, err = sc.Request(testCtx(t), "svc.hdronly", []byte("x"))
		require.NoError(t, err, "a header-only reply is a reply, not no-responders")
		assert.Empty(t, r.Data)
		assert.Equal(t, "yes", r.Header.Get("X-Only"))
		assert.Zero(t, r.Status())
	})

	t.Run("concurrent", func(t *testing.T) {
		ctx := testCtx(t)
		var wg sync.WaitGroup
		errs := make(chan error, concurrentRequests)
		for i := range concurrentRequests {
			wg.Go(func() {
				data := []byte(strconv.Itoa(i))
				r, err := sc.Request(ctx, "svc.echo", data)
				switch {
				case err != nil:
					errs <- fmt.Errorf("request %d: %w", i, err)
				case string(r.Data) != "echo:"+string(data):
					errs <- fmt.Errorf("request %d got the reply %q", i, r.Data)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("no responders", func(t *testing.T) {
		ctx := testCtx(t)
		_, err := sc.Request(ctx, "svc.nobody", []byte("x"))
		assert.True(t, isCoreNoResponders(err), "%v", err)
		assert.False(t, isNatsNoResponders(err), "Starling must not return nats.go's sentinel")
		assert.True(t, core.IsTemporary(err))
		_, err = sc.RequestMsg(ctx, &core.Msg{Subject: "svc.nobody", Header: richHeader()})
		assert.True(t, isCoreNoResponders(err), "%v", err)
		_, err = sc.Request(ctx, "svc.nobody", nil, core.UniqueInbox())
		assert.True(t, isCoreNoResponders(err), "%v", err)

		// Interest that goes away: the nats.go responder unsubscribes.
		sub, err := nc.Subscribe("svc.leaving", func(m *nats.Msg) { _ = m.Respond([]byte("here")) })
		require.NoError(t, err)
		flushNats(t, nc)
		r, err := sc.Request(ctx, "svc.leaving", nil)
		require.NoError(t, err)
		assert.Equal(t, "here", string(r.Data))
		require.NoError(t, sub.Unsubscribe())
		flushNats(t, nc)
		_, err = sc.Request(ctx, "svc.leaving", nil)
		assert.True(t, isCoreNoResponders(err), "%v", err)
	})

	t.Run("timeout is not no-responders", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := sc.Request(ctx, "svc.silent", []byte("x"))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, isCoreNoResponders(err))
	})
}

// starlingResponder answers on subject in one of Starling's ways of
// receiving: "echo:" and the data, the request's headers plus
// X-Responder naming the way.
func starlingResponder(t *testing.T, c *core.Conn, kind recvKind, subject string, opts ...core.SubOption) *core.Subscription {
	t.Helper()
	reply := func(h core.Header, data []byte) *core.Msg {
		r := &core.Msg{Header: core.Header{}, Data: append([]byte("echo:"), data...)}
		for k, v := range h {
			r.Header[k] = v
		}
		r.Header.Set("X-Responder", string(kind))
		return r
	}
	var (
		sub *core.Subscription
		err error
	)
	switch kind {
	case starlingBorrowed:
		sub, err = c.SubscribeBorrowed(subject, func(m *core.BorrowedMsg) {
			if len(m.Header) == 0 {
				// The zero-copy path: Respond from the reader goroutine.
				_ = m.RespondMsg(reply(nil, m.Data))
				return
			}
			_ = m.RespondMsg(reply(m.Copy().Header, m.Data))
		}, opts...)
	case starlingOwned:
		sub, err = c.Subscribe(subject, func(m *core.Msg) { _ = m.RespondMsg(reply(m.Header, m.Data)) }, opts...)
	case starlingSync:
		sub, err = c.SubscribeSync(subject, opts...)
		if err == nil {
			s := sub
			pump(t, func(ctx context.Context) {
				for m, err := range s.Messages(ctx) {
					if err != nil {
						return
					}
					_ = m.RespondMsg(reply(m.Header, m.Data))
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
						_ = m.RespondMsg(reply(m.Header, m.Data))
					case <-ctx.Done():
						return
					}
				}
			})
		}
	}
	require.NoError(t, err)
	return sub
}

// nats.go requests, Starling responds in each of its ways of receiving:
// plain and with headers, old-style requests, many in flight, and each way
// a request can fail.
func TestRequestNatsGoToStarling(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	oldStyle := connectNats(t, s.ClientURL(), nats.UseOldRequestStyle())

	for _, k := range starlingKinds {
		starlingResponder(t, sc, k, "svc."+string(k))
	}
	_, err := sc.SubscribeBorrowed("svc.empty", func(m *core.BorrowedMsg) { _ = m.Respond(nil) })
	require.NoError(t, err)
	_, err = sc.Subscribe("svc.hdronly", func(m *core.Msg) {
		_ = m.RespondMsg(&core.Msg{Header: core.Header{"X-Only": {"yes"}}})
	})
	require.NoError(t, err)
	_, err = sc.SubscribeBorrowed("svc.silent", func(*core.BorrowedMsg) {})
	require.NoError(t, err)
	flushStarling(t, sc)

	for _, k := range starlingKinds {
		subject := "svc." + string(k)
		t.Run(string(k), func(t *testing.T) {
			for _, n := range []int{0, 16, 64 * 1024} {
				data := payload(n, 11)
				r, err := nc.Request(subject, data, testTimeout)
				require.NoError(t, err, "%d bytes", n)
				requireData(t, append([]byte("echo:"), data...), r.Data, "reply")
				assert.Equal(t, nats.Header{"X-Responder": {string(k)}}, r.Header)
			}

			req := &nats.Msg{Subject: subject, Header: nats.Header(richHeader()), Data: []byte("h")}
			r, err := nc.RequestMsgWithContext(testCtx(t), req)
			require.NoError(t, err)
			want := nats.Header(richHeader())
			want["X-Responder"] = []string{string(k)}
			assert.Equal(t, want, r.Header)
			assert.Equal(t, "echo:h", string(r.Data))

			r, err = oldStyle.Request(subject, []byte("old"), testTimeout)
			require.NoError(t, err, "old-style request (an inbox subscription per request)")
			assert.Equal(t, "echo:old", string(r.Data))
		})
	}

	t.Run("custom inbox prefix", func(t *testing.T) {
		pc := connectNats(t, s.ClientURL(), nats.CustomInboxPrefix("_INTEROP.natsgo"))
		replyTo := make(chan string, 1)
		sub, err := sc.Subscribe("svc.where", func(m *core.Msg) { replyTo <- m.Reply; _ = m.Respond(nil) })
		require.NoError(t, err)
		defer sub.Unsubscribe()
		flushStarling(t, sc)
		_, err = pc.Request("svc.where", nil, testTimeout)
		require.NoError(t, err)
		reply := <-replyTo
		assert.True(t, strings.HasPrefix(reply, "_INTEROP.natsgo."), "reply subject %q", reply)
	})

	t.Run("empty and header-only replies", func(t *testing.T) {
		r, err := nc.Request("svc.empty", []byte("x"), testTimeout)
		require.NoError(t, err)
		assert.Empty(t, r.Data)
		assert.Empty(t, r.Header)
		r, err = nc.Request("svc.hdronly", []byte("x"), testTimeout)
		require.NoError(t, err)
		assert.Empty(t, r.Data)
		assert.Equal(t, nats.Header{"X-Only": {"yes"}}, r.Header)
	})

	t.Run("concurrent", func(t *testing.T) {
		ctx := testCtx(t)
		var wg sync.WaitGroup
		errs := make(chan error, concurrentRequests)
		for i := range concurrentRequests {
			subject := "svc." + string(starlingKinds[i%len(starlingKinds)])
			wg.Go(func() {
				data := []byte(strconv.Itoa(i))
				r, err := nc.RequestWithContext(ctx, subject, data)
				switch {
				case err != nil:
					errs <- fmt.Errorf("request %d: %w", i, err)
				case string(r.Data) != "echo:"+string(data):
					errs <- fmt.Errorf("request %d got the reply %q", i, r.Data)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("no responders", func(t *testing.T) {
		_, err := nc.Request("svc.nobody", []byte("x"), testTimeout)
		assert.True(t, isNatsNoResponders(err), "%v", err)
		assert.False(t, isCoreNoResponders(err))

		sub, err := sc.Subscribe("svc.leaving", func(m *core.Msg) { _ = m.Respond([]byte("here")) })
		require.NoError(t, err)
		flushStarling(t, sc)
		r, err := nc.Request("svc.leaving", nil, testTimeout)
		require.NoError(t, err)
		assert.Equal(t, "here", string(r.Data))
		require.NoError(t, sub.Unsubscribe())
		flushStarling(t, sc)
		_, err = nc.Request("svc.leaving", nil, testTimeout)
		assert.True(t, isNatsNoResponders(err), "%v", err)
	})

	t.Run("timeout is not no-responders", func(t *testing.T) {
		_, err := nc.Request("svc.silent", []byte("x"), 100*time.Millisecond)
		assert.True(t, errors.Is(err, nats.ErrTimeout), "%v", err)
		assert.False(t, isNatsNoResponders(err))
	})
}
