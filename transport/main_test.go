package transport

import (
	"testing"

	"go.uber.org/goleak"
)

// The package keeps no goroutine of its own; everything the tests start (servers,
// fake peers, timers) must be gone when they end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
