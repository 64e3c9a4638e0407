package transport_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Servers, fake peers and dialers started by the tests must all be gone when they end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
