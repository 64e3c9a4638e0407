package codec_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The transcript tests start real servers; they must be gone when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
