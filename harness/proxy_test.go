package harness_test

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestProxyForwardsAndCuts(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	p := harness.NewProxy(t, s.Addr())
	assert.Equal(t, "nats://"+p.Addr(), p.URL())
	assert.Equal(t, s.Addr(), p.Target())

	rc := connectRaw(t, p.Addr(), nil)
	defer rc.Close()
	assert.Equal(t, 1, p.Links())

	p.Cut()
	err := readUntilErr(rc, 5*time.Second)
	assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF), "link cut: %v", err)
	assert.Equal(t, 0, p.Links())
	// While cut, new connections are reset before the INFO.
	_, err = dialRaw(p.Addr(), dialOpts{})
	assert.Error(t, err)

	p.Heal()
	rc2 := connectRaw(t, p.Addr(), nil)
	rc2.Close()
}

func TestProxyBlackholeAndHeal(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	p := harness.NewProxy(t, s.Addr())
	rc := connectRaw(t, p.Addr(), nil)
	defer rc.Close()

	p.Blackhole()
	require.ErrorIs(t, rc.ping(300*time.Millisecond), os.ErrDeadlineExceeded, "nothing gets through")
	assert.Equal(t, 1, p.Links(), "the link stays open")
	// A new connection is accepted but hears nothing.
	fresh, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer fresh.Close()
	fresh.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = fresh.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	p.Heal()
	// The held PING reaches the server, and its PONG comes back.
	require.NoError(t, rc.waitPong(5*time.Second))
	require.NoError(t, rc.ping(5*time.Second))
}

func TestProxyDelay(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	p := harness.NewProxy(t, s.Addr())
	rc := connectRaw(t, p.Addr(), nil)
	defer rc.Close()

	const d = 100 * time.Millisecond
	p.Delay(d)
	start := time.Now()
	require.NoError(t, rc.ping(5*time.Second))
	assert.GreaterOrEqual(t, time.Since(start), 2*d, "a round trip crosses the delay twice")

	p.Heal()
	require.NoError(t, rc.ping(5*time.Second))
}

func TestProxyCloseEndsLinks(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	p := harness.NewProxy(t, s.Addr())
	rc := connectRaw(t, p.Addr(), nil)
	defer rc.Close()
	p.Blackhole()
	p.Close()
	p.Close()
	err := readUntilErr(rc, 5*time.Second)
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded)
}
