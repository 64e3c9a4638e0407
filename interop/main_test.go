package interop

import (
	"testing"

	"go.uber.org/goleak"
)

// Both clients must leave nothing running once their connections are closed
// and the harness has stopped its servers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
