package harness_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server, process, proxy and client of these tests must be gone when they end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
