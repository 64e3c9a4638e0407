package kv_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/kv"
)

var fastReconnect = []core.Option{
	core.WithReconnectWait(20*time.Millisecond, 200*time.Millisecond),
	core.WithMaxReconnects(-1),
}

// writer puts keys into b until stop closes, retrying each put until it
// is acknowledged; it returns the acknowledged revisions and the last one.
type writer struct {
	mu   sync.Mutex
	revs map[uint64]bool
	last uint64
	done chan struct{}
	stop chan struct{}
}

func startWriter(t *testing.T, b *kv.Bucket, pace time.Duration) *writer {
	w := &writer{revs: map[uint64]bool{}, done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				// A key per write: with history 1, a revision superseded
				// while the watcher was away is gone from the stream and
				// no watcher can deliver it.
				rev, err := b.Put(ctx, "k."+strconv.Itoa(i), []byte(strconv.Itoa(i)))
				cancel()
				if err == nil {
					w.mu.Lock()
					w.revs[rev] = true
					w.last = max(w.last, rev)
					w.mu.Unlock()
					break
				}
				select {
				case <-w.stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
			time.Sleep(pace)
		}
	}()
	return w
}

func (w *writer) finish() (map[uint64]bool, uint64) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.revs, w.last
}

// watchChecker reads a watcher slowly now and then, and checks that
// revisions strictly increase (nothing repeated).
type watchChecker struct {
	mu   sync.Mutex
	seen map[uint64]bool
	last uint64
	err  error
	done chan struct{}
}

func startChecker(w *kv.Watcher) *watchChecker {
	c := &watchChecker{seen: map[uint64]bool{}, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for i := 0; ; i++ {
			e, err := w.Next(context.Background())
			if err != nil {
				if !errors.Is(err, kv.ErrWatcherStopped) || w.Err() != nil {
					c.mu.Lock()
					c.err = err
					c.mu.Unlock()
				}
				return
			}
			if e == nil {
				continue
			}
			c.mu.Lock()
			if e.Revision <= c.last {
				c.err = fmt.Errorf("revision %d after %d: repeated or out of order", e.Revision, c.last)
			}
			c.last = e.Revision
			c.seen[e.Revision] = true
			c.mu.Unlock()
			if i%50 == 0 {
				time.Sleep(20 * time.Millisecond) // a slow reader now and then
			}
		}
	}()
	return c
}

// verify waits until the watcher has seen last, then checks that every
// acknowledged revision was delivered.
func (c *watchChecker) verify(t *testing.T, w *kv.Watcher, acked map[uint64]bool, last uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.last >= last || c.err != nil
	}, 60*time.Second, 20*time.Millisecond, "watcher stuck")
	w.Stop()
	<-c.done
	require.NoError(t, c.err)
	missed := 0
	var missedRevs []uint64
	for r := range acked {
		if !c.seen[r] {
			missed++
			missedRevs = append(missedRevs, r)
		}
	}
	slices.Sort(missedRevs)
	if len(missedRevs) > 0 {
		var seen []uint64
		for r := range c.seen {
			seen = append(seen, r)
		}
		slices.Sort(seen)
		t.Logf("missed %v; seen %v", missedRevs, seen)
	}
	assert.Zero(t, missed, "acknowledged revisions never delivered (of %d)", len(acked))
	assert.Greater(t, len(acked), 20)
}

// TestWatch_SurvivesServerKill kills the server (SIGKILL) while updates
// flow, restarts it on the same store, and checks the watcher resumes
// from its last revision: nothing missed, nothing repeated.
func TestWatch_SurvivesServerKill(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithProcess())
	ctx := testCtx(t, 120*time.Second)
	st := newStoreOn(t, connect(t, s.ClientURL(), fastReconnect...))
	b := newBucket(t, st, kv.Config{Bucket: "kill"})
	ws := newStoreOn(t, connect(t, s.ClientURL(), fastReconnect...))
	wb, err := ws.Bucket(ctx, "kill")
	require.NoError(t, err)

	// The writer starts after the watch: revisions superseded before it
	// began are, by design, not delivered (latest per key only).
	w, err := wb.WatchAll(ctx, kv.WatchHeartbeat(200*time.Millisecond))
	require.NoError(t, err)
	c := startChecker(w)
	wr := startWriter(t, b, 2*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	s.Kill()
	time.Sleep(500 * time.Millisecond)
	s.Restart()
	require.NoError(t, s.WaitJetStreamReady(ctx))
	time.Sleep(time.Second)
	acked, last := wr.finish()
	c.verify(t, w, acked, last)
}

// TestWatch_SurvivesReconnect forces the watcher's connection to
// reconnect several times while updates flow.
func TestWatch_SurvivesReconnect(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream())
	ctx := testCtx(t, 120*time.Second)
	st := newStoreOn(t, connect(t, s.ClientURL()))
	b := newBucket(t, st, kv.Config{Bucket: "recon"})
	wnc := connect(t, s.ClientURL(), fastReconnect...)
	wb, err := newStoreOn(t, wnc).Bucket(ctx, "recon")
	require.NoError(t, err)

	w, err := wb.WatchAll(ctx, kv.WatchHeartbeat(200*time.Millisecond))
	require.NoError(t, err)
	c := startChecker(w)
	wr := startWriter(t, b, time.Millisecond)
	for i := 0; i < 3; i++ {
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, wnc.ForceReconnect())
	}
	time.Sleep(500 * time.Millisecond)
	acked, last := wr.finish()
	c.verify(t, w, acked, last)
}

// TestWatch_SurvivesLeaderChange watches an R3 bucket in a 3-node cluster
// through stream leader stepdowns and a node restart.
func TestWatch_SurvivesLeaderChange(t *testing.T) {
	cl := harness.RunCluster(t, 3, harness.WithJetStream())
	ctx := testCtx(t, 180*time.Second)
	urls := cl.ClientURLs()
	nc := connect(t, urls[0], append(fastReconnect, core.WithServers(urls...))...)
	st := newStoreOn(t, nc)
	b := newBucket(t, st, kv.Config{Bucket: "lead", Replicas: 3})
	wnc := connect(t, urls[1], append(fastReconnect, core.WithServers(urls...))...)
	wb, err := newStoreOn(t, wnc).Bucket(ctx, "lead")
	require.NoError(t, err)

	w, err := wb.WatchAll(ctx, kv.WatchHeartbeat(250*time.Millisecond))
	require.NoError(t, err)
	c := startChecker(w)
	wr := startWriter(t, b, 2*time.Millisecond)
	for i := 0; i < 2; i++ {
		time.Sleep(500 * time.Millisecond)
		_, err := nc.Request(ctx, "$JS.API.STREAM.LEADER.STEPDOWN.KV_lead", nil)
		require.NoError(t, err)
	}
	time.Sleep(500 * time.Millisecond)
	if os.Getenv("KV_NO_RESTART") == "" {
		cl.RestartNode(2)
	}
	require.NoError(t, cl.WaitJetStreamReady(ctx))
	time.Sleep(time.Second)
	acked, last := wr.finish()
	c.verify(t, w, acked, last)
}
