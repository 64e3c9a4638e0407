package main_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestKVLifecycle(t *testing.T) {
	t.Parallel()
	url := startServer(t, harness.WithJetStream()).ClientURL()
	r := ok(t, "kv", "add", "-s", url, "CFG", "--history", "5", "--marker-ttl", "2s")
	assert.Contains(t, r.stdout, "Information for Key-Value Store Bucket CFG")
	assert.Contains(t, r.stdout, "History Kept: 5")
	assert.Contains(t, r.stdout, "Backing Store: JetStream stream KV_CFG")

	w := start(t, cmdOpts{}, "kv", "watch", "-s", url, "CFG", "app.>")
	w.waitStderr("end of initial data")

	r = ok(t, "kv", "put", "-s", url, "CFG", "app.mode", "fast")
	assert.Equal(t, "1\n", r.stdout)
	r = run(t, cmdOpts{stdin: []byte("piped")}, "kv", "put", "-s", url, "CFG", "app.pipe")
	require.Equal(t, 0, r.code, r)
	r = ok(t, "kv", "get", "-s", url, "CFG", "app.pipe", "--raw")
	assert.Equal(t, "piped", r.stdout)
	r = ok(t, "kv", "get", "-s", url, "CFG", "app.mode")
	assert.Contains(t, r.stdout, "CFG > app.mode revision 1")
	assert.Contains(t, r.stdout, "fast")
	w.waitStdout("PUT CFG > app.mode: fast")

	r = run(t, cmdOpts{}, "kv", "create", "-s", url, "CFG", "app.mode", "again")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "key exists")
	r = run(t, cmdOpts{}, "kv", "update", "-s", url, "CFG", "app.mode", "slow", "7")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "wrong last revision")
	ok(t, "kv", "update", "-s", url, "CFG", "app.mode", "slow", "1")
	ok(t, "kv", "create", "-s", url, "CFG", "app.brief", "x", "--ttl", "1s")

	r = ok(t, "kv", "history", "-s", url, "CFG", "app.mode")
	assert.Contains(t, r.stdout, "fast")
	assert.Contains(t, r.stdout, "slow")
	r = ok(t, "kv", "ls", "-s", url, "CFG")
	assert.Contains(t, r.stdout, "app.mode\n")
	ok(t, "kv", "del", "-s", url, "CFG", "app.mode")
	w.waitStdout("DEL CFG > app.mode")
	ok(t, "kv", "purge", "-s", url, "CFG", "app.pipe")
	w.waitStdout("PURGE CFG > app.pipe")
	w.waitStdout("PURGE CFG > app.brief (MaxAge)")
	r = run(t, cmdOpts{}, "kv", "get", "-s", url, "CFG", "app.mode")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "deleted")

	r = ok(t, "kv", "ls", "-s", url)
	assert.Contains(t, r.stdout, "CFG")
	r = ok(t, "kv", "ls", "-s", url, "--names")
	assert.Equal(t, "CFG\n", r.stdout)
	r = ok(t, "kv", "status", "-s", url, "CFG", "--json")
	assert.True(t, strings.Contains(r.stdout, `"name": "KV_CFG"`) || strings.Contains(r.stdout, `"name":"KV_CFG"`), r.stdout)

	// Mistakes in the command line exit 2, before anything is sent.
	for _, args := range [][]string{
		{"kv", "put", "-s", url, "CFG", "a..b", "v"},
		{"kv", "add", "-s", url, "bad.name"},
		{"kv", "add", "-s", url, "H", "--history", "65"},
		{"kv", "rm", "-s", url, "CFG"},
		{"kv", "update", "-s", url, "CFG", "k", "v", "x"},
	} {
		r = run(t, cmdOpts{}, args...)
		assert.Equal(t, 2, r.code, "%v: %v", args, r)
	}
	assert.Equal(t, 0, w.stop())
	r = ok(t, "kv", "rm", "-s", url, "CFG", "-f")
	assert.Contains(t, r.stderr, `Removed bucket "CFG"`)
	r = run(t, cmdOpts{}, "kv", "get", "-s", url, "CFG", "k")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "bucket not found")
}
