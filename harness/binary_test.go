package harness_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestBinaryPathEnvOverride(t *testing.T) {
	t.Setenv(harness.BinaryEnv, "/opt/nats/nats-server")
	p, err := harness.BinaryPath()
	require.NoError(t, err)
	assert.Equal(t, "/opt/nats/nats-server", p)
}

// Test binaries racing to build the binary into an empty cache build it once, and
// all get the same file.
func TestBinaryPathRacingProcessesBuildOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cache directory is moved with XDG_CACHE_HOME, which only Linux honours")
	}
	cache := t.TempDir()
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	require.NoError(t, err)
	env := append(os.Environ(),
		binaryPathEnv+"=1",
		"XDG_CACHE_HOME="+cache,
		"GOCACHE="+strings.TrimSpace(string(gocache)), // keep the warm build cache
		harness.BinaryEnv+"=",
	)
	const racers = 3
	type result struct {
		path  string
		inode uint64
		err   error
		out   string
	}
	results := make([]result, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0])
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			r := result{err: err, out: stderr.String()}
			if err == nil {
				_, err = fmt.Sscan(string(out), &r.path, &r.inode)
				r.err = err
			}
			results[i] = r
		}()
	}
	wg.Wait()
	want := filepath.Join(cache, "starling", "nats-server-v"+server.VERSION)
	for i, r := range results {
		require.NoError(t, r.err, "racer %d: %s", i, r.out)
		assert.Equal(t, want, r.path, "racer %d", i)
		assert.Equal(t, results[0].inode, r.inode, "racer %d got another build", i)
	}
	fi, err := os.Stat(want)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&0o111, "executable")
	leftovers, _ := filepath.Glob(filepath.Join(cache, "starling", "nats-server-build-*"))
	assert.Empty(t, leftovers, "no temporary files left behind")

	// A later run reuses the file at once.
	cmd := exec.Command(os.Args[0])
	cmd.Env = env
	out, err := cmd.Output()
	require.NoError(t, err)
	var path string
	var inode uint64
	_, err = fmt.Sscan(string(out), &path, &inode)
	require.NoError(t, err)
	assert.Equal(t, want, path)
	assert.Equal(t, results[0].inode, inode, "not rebuilt")
}
