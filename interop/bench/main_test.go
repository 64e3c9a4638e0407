package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The benchmark's connections, reader goroutines and server process must
// all be gone when a run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
