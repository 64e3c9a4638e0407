package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// TestNextConcurrentCallersAllWake starts callers that each take one
// message with Next while a burst of as many messages arrives, round after
// round. The subscription's wake-up channel holds one token however many
// messages came, so callers that were on their way to wait when the burst
// landed could share one token: one woke, the others waited beside a full
// queue. Every caller must get its message.
func TestNextConcurrentCallersAllWake(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	pub := connect(t, s.ClientURL())
	const callers, rounds = 8, 100
	for r := 0; r < rounds; r++ {
		sub, err := nc.SubscribeSync("wake")
		require.NoError(t, err)
		flush(t, nc)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for i := 0; i < callers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := sub.Next(ctx); err != nil {
					errs <- err
				}
			}()
		}
		for i := 0; i < callers; i++ {
			require.NoError(t, pub.Publish("wake", nil))
		}
		flush(t, pub)
		wg.Wait()
		cancel()
		close(errs)
		for err := range errs {
			n, _ := sub.Pending()
			t.Fatalf("round %d: a Next caller waited in vain (%v) with %d messages queued", r, err, n)
		}
		require.NoError(t, sub.Unsubscribe())
	}
}
