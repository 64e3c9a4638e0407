package codec

import "github.com/starling-nats/starling/codec/internal/check"

// testify's names for the checks, so the tests read as they did before the codec became
// a module with no requirements.
var (
	assert  = check.Assert
	require = check.Require
)
