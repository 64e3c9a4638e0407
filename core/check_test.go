package core

import "github.com/starling-nats/starling/internal/check"

// testify's names for the checks: core's white-box tests may not require testify (a user
// who imports core gets none of our test-only modules). Everything that runs a server or
// starts goroutines is tested from internal/tests/core, with goleak.
var (
	assert  = check.Assert
	require = check.Require
)
