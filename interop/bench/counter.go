package main

import (
	"context"
	"sync/atomic"
	"time"
)

// counter counts the messages a subscriber received in a run and wakes the
// publisher's wait when the last one arrives. Handlers call hit or add; both
// are a few atomic operations and allocate nothing.
type counter struct {
	got  atomic.Int64
	want atomic.Int64
	done chan struct{}
}

func newCounter() *counter { return &counter{done: make(chan struct{}, 1)} }

// reset starts a run that expects n messages.
func (c *counter) reset(n int64) {
	select {
	case <-c.done:
	default:
	}
	c.got.Store(0)
	c.want.Store(n)
}

func (c *counter) hit() { c.add(1) }

func (c *counter) add(k int64) {
	got := c.got.Add(k)
	if want := c.want.Load(); got >= want && got-k < want {
		select {
		case c.done <- struct{}{}:
		default:
		}
	}
}

// wait returns once n messages arrived, or when none arrived for stall (the
// rest are lost), or when ctx ends. It returns how many arrived.
func (c *counter) wait(ctx context.Context, n int64, stall time.Duration) int64 {
	if c.got.Load() >= n {
		return c.got.Load()
	}
	tick := time.NewTicker(stall / 10)
	defer tick.Stop()
	last, since := c.got.Load(), time.Now()
	for {
		select {
		case <-c.done:
			return c.got.Load()
		case <-tick.C:
			g := c.got.Load()
			switch {
			case g >= n:
				return g
			case g != last:
				last, since = g, time.Now()
			case time.Since(since) > stall:
				return g
			}
		case <-ctx.Done():
			return c.got.Load()
		}
	}
}
