//go:build linux

package transport

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// sockopt reads an integer socket option of a TCP connection.
func sockopt(t *testing.T, c Conn, level, opt int) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var v int
	var serr error
	require.NoError(t, raw.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), level, opt) }))
	require.NoError(t, serr)
	return v
}

// acceptAll accepts and holds connections until the test ends.
func acceptAll(t *testing.T, ln net.Listener) Addr {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	a, err := ParseAddr(ln.Addr().String())
	require.NoError(t, err)
	return a
}

func TestDialerTCPOptions(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := acceptAll(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c, err := NewDialer().Dial(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 1, sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_NODELAY), "TCP_NODELAY by default")
	assert.Equal(t, 1, sockopt(t, c, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE), "keep-alive by default")
	assert.Equal(t, int(DefaultKeepAlive/time.Second), sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE))
	assert.Equal(t, int(DefaultKeepAlive/time.Second), sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL))

	c2, err := NewDialer(WithNoDelay(false), WithKeepAlive(-1)).Dial(ctx, addr)
	require.NoError(t, err)
	defer c2.Close()
	assert.Equal(t, 0, sockopt(t, c2, syscall.IPPROTO_TCP, syscall.TCP_NODELAY))
	assert.Equal(t, 0, sockopt(t, c2, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE))

	c3, err := NewDialer(WithKeepAlive(7*time.Second)).Dial(ctx, addr)
	require.NoError(t, err)
	defer c3.Close()
	assert.Equal(t, 7, sockopt(t, c3, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE))

	local := netip.MustParseAddrPort("127.0.0.2:0")
	c4, err := NewDialer(WithLocalAddr(local)).Dial(ctx, addr)
	require.NoError(t, err)
	defer c4.Close()
	assert.Equal(t, "127.0.0.2", c4.LocalAddr().(*net.TCPAddr).IP.String())
}

func TestDialerMultipathTCP(t *testing.T) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(true)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := acceptAll(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c, err := NewDialer(WithMultipathTCP(true)).Dial(ctx, addr)
	require.NoError(t, err, "MPTCP falls back to TCP where unavailable, it never fails the dial")
	defer c.Close()
	used, err := c.(*net.TCPConn).MultipathTCP()
	require.NoError(t, err)
	if !used {
		t.Skip("this kernel does not run MPTCP (net.mptcp.enabled=0 or no support): the dial fell back to TCP")
	}
	c2, err := NewDialer().Dial(ctx, addr)
	require.NoError(t, err)
	defer c2.Close()
	used, _ = c2.(*net.TCPConn).MultipathTCP()
	assert.False(t, used, "MPTCP is off by default")
}
