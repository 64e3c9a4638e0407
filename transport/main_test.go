package transport

import (
	"os"
	"testing"

	"github.com/starling-nats/starling/internal/check"
)

// testify's names for the checks: the transport's own tests may not require testify (a
// user who imports the client gets none of our test-only modules).
var (
	assert  = check.Assert
	require = check.Require
)

// The package keeps no goroutine of its own; everything the tests start (fake peers,
// timers) must be gone when they end. The real-server tests in internal/tests/transport
// check the same with goleak.
func TestMain(m *testing.M) {
	os.Exit(check.LeakFree(m))
}
