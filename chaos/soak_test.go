package chaos_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/chaos"
)

// TestSoakShort is the soak in small: forced reconnects every second under load, the
// heap sampled every few seconds; it must stay flat and the goroutines come back.
func TestSoakShort(t *testing.T) {
	rep, err := chaos.Soak(context.Background(), chaos.SoakConfig{
		Duration: 25 * time.Second, ReconnectEvery: time.Second, SampleEvery: 4 * time.Second, Warmup: 4 * time.Second,
		Log: testWriter{t},
	})
	require.NoError(t, err)
	t.Logf("\n%s", rep)
	assert.True(t, rep.OK(), "%s", rep)
	assert.GreaterOrEqual(t, len(rep.Samples), 4)
	assert.Positive(t, rep.Reconnects)
}
