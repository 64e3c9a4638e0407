package kv

import (
	"errors"
	"testing"

	"github.com/starling-nats/starling/js"
)

// The server's two compare-and-set refusals both read as ErrWrongRevision; only 10164,
// a write still in flight, also reads as ErrWriteInFlight.
func TestWrongRevisionTellsInFlightApart(t *testing.T) {
	stale := wrongRevision(&js.APIError{Code: 400, ErrCode: 10071, Description: "wrong last sequence: 3"})
	busy := wrongRevision(&js.APIError{Code: 400, ErrCode: 10164, Description: "wrong last sequence"})
	for name, err := range map[string]error{"10071": stale, "10164": busy} {
		if !errors.Is(err, ErrWrongRevision) {
			t.Errorf("%s: %v is not ErrWrongRevision", name, err)
		}
		var apiErr *js.APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: the server's error left the chain: %v", name, err)
		}
	}
	if errors.Is(stale, ErrWriteInFlight) {
		t.Errorf("10071 read as a write in flight: %v", stale)
	}
	if !errors.Is(busy, ErrWriteInFlight) {
		t.Errorf("10164 not read as a write in flight: %v", busy)
	}
}
