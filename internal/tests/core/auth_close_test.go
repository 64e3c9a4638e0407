package core_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

// slowConnectDialer dials with transport's dialer; from the second dial on,
// the client's CONNECT write waits a while first, holding the reconnect
// handshake right after it signed the nonce with the seed.
type slowConnectDialer struct {
	inner transport.Dialer
	dials atomic.Int32
}

func (d *slowConnectDialer) Dial(ctx context.Context, addr transport.Addr) (transport.Conn, error) {
	c, err := d.inner.Dial(ctx, addr)
	if err != nil || d.dials.Add(1) == 1 {
		return c, err
	}
	return &slowConnectConn{Conn: c, d: d}, nil
}

type slowConnectConn struct {
	transport.Conn
	d *slowConnectDialer
}

func (c *slowConnectConn) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("CONNECT ")) {
		time.Sleep(300 * time.Millisecond)
	}
	return c.Conn.Write(b)
}

// TestAuthCloseDuringNKeyReconnect closes a Conn while a reconnect
// handshake is between signing the server's nonce with the NKey seed and
// finishing. Close used to wipe the seed right away, under the handshake
// that was reading it (the race detector reported it); now the reader,
// the only one that reads it, wipes it on its way out. Run with -race.
func TestAuthCloseDuringNKeyReconnect(t *testing.T) {
	t.Parallel()
	pub, seed, _ := newUserKey(t)
	s := harness.RunServer(t, harness.WithNKeyUser(pub))
	for round := 0; round < 5; round++ {
		d := &slowConnectDialer{inner: transport.NewDialer()}
		nc := connect(t, s.ClientURL(), core.WithNKeySeed(seed), core.WithDialer(d),
			core.WithReconnectWait(time.Millisecond, 10*time.Millisecond))
		authWorks(t, nc)
		if err := nc.ForceReconnect(); err != nil {
			t.Fatal(err)
		}
		// No signal from the handshake: any would order its read of the
		// seed before Close, and hide the race from the detector. The
		// handshake dials and signs within milliseconds, then waits in
		// its CONNECT write; Close lands there.
		time.Sleep(100 * time.Millisecond)
		nc.Close()
		select {
		case <-nc.Closed():
		case <-time.After(5 * time.Second):
			t.Fatal("the Conn did not shut down")
		}
	}
}
