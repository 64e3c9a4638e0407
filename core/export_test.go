package core

// PendingRequests exposes how many requests wait for a reply, so the
// external tests can check that none is left behind.
func (c *Conn) PendingRequests() int { return c.resp.pending() }
