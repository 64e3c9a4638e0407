package interop

import (
	"testing"

	"go.uber.org/goleak"
)

// Both clients must leave nothing running once their connections are closed
// and the harness has stopped its servers.
//
// One exception, nats.go's and not ours: its ObjectStore.Put makes a
// publisher per put whose status goroutine (resetPendingAcksOnReconnect)
// reads the status channel only once it runs; when the put's deferred
// cleanup has already set that channel to nil, the goroutine blocks on the
// nil channel for good (seen once in about a dozen -race runs of the
// object store interop tests, at load 14).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"))
}
