package harness_test

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func freePortsForTest(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		defer l.Close()
	}
	return ports
}

func wsPortOf(t testing.TB, rawURL string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	p, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return p
}

// fakeTB records a failure instead of failing the real test; its FailNow stops the
// goroutine with a panic the caller recovers.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = true; panic("fakeTB.Fatalf") }
func (f *fakeTB) Helper()                           {}

// requireLDMInfo reads ops until an INFO with "ldm":true.
func requireLDMInfo(t testing.TB, rc *rawConn) {
	t.Helper()
	for {
		op, _, err := rc.next(10 * time.Second)
		require.NoError(t, err, "waiting for INFO with ldm")
		if strings.HasPrefix(op, "INFO ") {
			info, err := parseInfoLine(op)
			require.NoError(t, err)
			if info["ldm"] == true {
				return
			}
		}
	}
}

// readUntilErr reads ops until the connection fails and returns the error (a timeout
// error if it stays healthy for timeout).
func readUntilErr(rc *rawConn, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, _, err := rc.next(time.Until(deadline)); err != nil {
			return err
		}
	}
}
