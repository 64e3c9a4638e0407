package codec

import (
	"os/exec"
	"strings"
	"testing"
)

// The codec must be importable alone: its non-test dependencies are the
// standard library, nothing else (style rule 2): the codec is a module with no
// requirements, so a user who imports it gets no other module.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	allowed := map[string]bool{
		"github.com/starling-nats/starling/codec": true,
	}
	for _, p := range strings.Fields(string(out)) {
		assert.True(t, allowed[p], "codec depends on %s", p)
	}
}
