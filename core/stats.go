package core

import "sync/atomic"

// Stats counts a Conn's traffic since it was created, across sessions.
type Stats struct {
	InMsgs, InBytes   uint64
	OutMsgs, OutBytes uint64
	Reconnects        uint64
	// PendingRequests is how many requests wait for a reply right now: a figure that
	// should fall back to 0 when traffic stops, or requests are being left behind.
	PendingRequests int
}

// counters are written by the reader goroutine (in) and under the writer's
// lock (out, kept in writer), so none of them is contended.
type counters struct {
	inMsgs, inBytes atomic.Uint64
	reconnects      atomic.Uint64
}

// Stats returns the traffic counters. Bytes count headers and payloads, not
// protocol framing.
func (c *Conn) Stats() Stats {
	c.w.mu.Lock()
	out, outBytes := c.w.outMsgs, c.w.outBytes
	c.w.mu.Unlock()
	return Stats{
		InMsgs:          c.stats.inMsgs.Load(),
		InBytes:         c.stats.inBytes.Load(),
		OutMsgs:         out,
		OutBytes:        outBytes,
		Reconnects:      c.stats.reconnects.Load(),
		PendingRequests: c.resp.pending(),
	}
}
