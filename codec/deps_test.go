package codec

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The codec must be importable alone: its non-test dependencies are the
// standard library and bytebufferpool, nothing else (style rule 2).
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	allowed := map[string]bool{
		"github.com/starling-nats/starling/codec": true,
		"github.com/valyala/bytebufferpool":       true,
	}
	for _, p := range strings.Fields(string(out)) {
		assert.True(t, allowed[p], "codec depends on %s", p)
	}
}
