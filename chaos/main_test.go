package chaos_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server process, proxy and client of a campaign must be gone when it ends.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
