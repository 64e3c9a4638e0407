package js

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
)

// connState is what a connection may say about its sessions; *core.Conn
// says both.
type connState interface {
	IsConnected() bool
	Stats() core.Stats
}

// eventSource is a connection that tells listeners of its reconnects, as
// *core.Conn does; a Conn without it is polled (Stats().Reconnects).
type eventSource interface {
	AddEventListener(f func(core.Event)) (remove func())
}

// control issues pulls and watches for what stalls them: reconnects (the
// server of the new session knows nothing of the old pulls), missed
// heartbeats, and the connection's end.
func (s *pullSession) control() {
	defer s.exited()
	cs, _ := s.nc.(connState)
	var reconnects uint64
	if cs != nil {
		reconnects = cs.Stats().Reconnects
	}
	var reconnected atomic.Bool
	if es, ok := s.nc.(eventSource); ok {
		remove := es.AddEventListener(func(e core.Event) {
			if e.Kind == core.EventReconnected {
				reconnected.Store(true)
				s.poke()
			}
		})
		defer remove()
	}
	tick := min(max(s.o.heartbeat/4, 20*time.Millisecond), time.Second)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	lastRecv, lastSeen := s.recv.Load(), time.Now()
	for {
		var now time.Time
		select {
		case <-s.stop:
			s.report()
			return
		case <-s.nc.Closed():
			s.mu.Lock()
			s.failLocked(core.ErrConnectionClosed)
			s.mu.Unlock()
			continue
		case <-s.wake:
			now = time.Now()
		case now = <-ticker.C:
		}
		// The listener says at once; the count catches a reconnect on a
		// Conn without listeners, within a tick.
		again := reconnected.Swap(false)
		if cs != nil {
			if r := cs.Stats().Reconnects; r != reconnects {
				reconnects, again = r, true
			}
		}
		if again {
			s.mu.Lock()
			s.resetLocked()
			s.mu.Unlock()
			lastSeen = now
		}
		if cs != nil && !cs.IsConnected() {
			lastSeen = now
			continue
		}
		if r := s.recv.Load(); r != lastRecv {
			lastRecv, lastSeen = r, now
		} else if now.Sub(lastSeen) > 2*s.o.heartbeat {
			lastSeen = now
			if s.missedHeartbeats() {
				continue
			}
		}
		s.mu.Lock()
		verify := s.verify
		s.verify = false
		s.mu.Unlock()
		if verify && s.consumerGone() {
			continue
		}
		s.report()
		if s.pull() {
			lastSeen = time.Now()
		}
	}
}

// missedHeartbeats handles a silent server; true if the session ended.
func (s *pullSession) missedHeartbeats() bool {
	s.mu.Lock()
	waiting := s.outMsgs > 0 || s.outBytes > 0
	if waiting {
		s.warns = append(s.warns, ErrNoHeartbeat)
		s.resetLocked()
	}
	s.mu.Unlock()
	if !waiting {
		return false
	}
	return s.consumerGone()
}

// consumerGone asks whether the consumer still exists, and ends the
// session if not: a pull to a deleted consumer meets no responders (503)
// at best and nothing at all at worst, and the consume must end with an
// error instead of pulling forever.
func (s *pullSession) consumerGone() bool {
	ctx, cancel := context.WithTimeout(context.Background(), max(s.o.heartbeat, time.Second))
	_, err := s.c.js.ConsumerInfo(ctx, s.c.stream, s.c.name)
	cancel()
	if errors.Is(err, ErrConsumerNotFound) {
		s.mu.Lock()
		s.failLocked(fmt.Errorf("%w: %w", ErrConsumerDeleted, err))
		s.mu.Unlock()
		s.report()
		return true
	}
	return false
}

// report hands warnings, then the ending error, to the error handler.
func (s *pullSession) report() {
	s.mu.Lock()
	warns := s.warns
	s.warns = nil
	var final error
	if s.state == stateStopped {
		final = s.err
	}
	s.mu.Unlock()
	if h := s.o.errHandler; h != nil {
		for _, w := range warns {
			h(w)
		}
		if final != nil {
			h(final)
		}
	}
}

// pull sends one request for what is missing, if anything is; true when
// one was sent.
func (s *pullSession) pull() bool {
	s.mu.Lock()
	if !s.needRefill() || time.Now().Before(s.retryAt) {
		s.mu.Unlock()
		return false
	}
	req := pullRequest{expires: s.o.expiry, heartbeat: s.o.heartbeat, o: &s.o}
	if s.o.maxBytes > 0 {
		req.batch = 1_000_000
		req.maxBytes = s.o.maxBytes - s.outBytes - s.qBytes
		if req.maxBytes <= 0 {
			s.mu.Unlock()
			return false
		}
	} else {
		req.batch = s.o.maxMsgs - s.outMsgs - s.qMsgs
	}
	s.reqID++
	id := s.reqID
	s.outMsgs += req.batch
	s.outBytes += req.maxBytes
	s.mu.Unlock()
	if s.o.group != "" {
		req.pin = s.c.pin()
	}
	s.bodyBuf = appendPullRequest(s.bodyBuf[:0], &req)
	body := s.bodyBuf
	// The reply is built in a buffer only this goroutine uses; the
	// connection copies it into its write buffer.
	s.replyBuf = strconv.AppendUint(append(s.replyBuf[:0], s.inbox...), id, 10)
	reply := bytesView(s.replyBuf)
	if err := s.nc.PublishRequest(s.nextSubj, reply, body); err != nil {
		s.mu.Lock()
		if id >= s.floor {
			s.outMsgs = max(s.outMsgs-req.batch, 0)
			s.outBytes = max(s.outBytes-req.maxBytes, 0)
		}
		if errors.Is(err, core.ErrConnectionClosed) {
			s.failLocked(err)
		} else {
			s.warns = append(s.warns, err)
		}
		s.mu.Unlock()
		return false
	}
	return true
}
