package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// ok runs starling and requires exit 0.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := run(t, cmdOpts{}, args...)
	require.Equal(t, 0, r.code, r)
	return r
}

func TestStreamLifecycle(t *testing.T) {
	t.Parallel()
	url := startServer(t, harness.WithJetStream()).ClientURL()
	r := ok(t, "stream", "add", "-s", url, "ORDERS", "--subjects", "orders.>", "--max-age", "24h", "--storage", "memory", "--allow-direct")
	assert.Contains(t, r.stdout, "Information for Stream ORDERS")
	assert.Contains(t, r.stdout, "Maximum Age: 24h0m0s")
	assert.Contains(t, r.stdout, "Storage: memory")

	r = ok(t, "stream", "ls", "-s", url)
	assert.Contains(t, r.stdout, "ORDERS")
	r = ok(t, "stream", "ls", "-s", url, "--names")
	assert.Equal(t, "ORDERS\n", r.stdout)

	for i, id := range []string{"a", "b", "a"} {
		r = ok(t, "js", "pub", "-s", url, "orders.new", "body-"+id, "--msg-id", id, "-H", "X-I:"+id)
		if i == 2 {
			assert.Equal(t, "Stored in stream ORDERS sequence 1 (duplicate)\n", r.stdout)
		}
	}
	r = ok(t, "js", "pub", "-s", url, "orders.other", "x", "--expect-last-subject-seq", "0")
	assert.Equal(t, "Stored in stream ORDERS sequence 3\n", r.stdout)
	r = run(t, cmdOpts{}, "js", "pub", "-s", url, "orders.other", "x", "--expect-last-subject-seq", "0")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "wrong last sequence")
	r = run(t, cmdOpts{}, "js", "pub", "-s", url, "nobody.here", "x")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "no stream response")

	r = ok(t, "js", "pub", "-s", url, "orders.bulk", "b", "--count", "500", "--async")
	assert.Contains(t, r.stderr, "Published 500 messages")
	ok(t, "js", "pub", "-s", url, "orders.ids", "b", "--count", "3", "--msg-id", "x")
	ok(t, "js", "pub", "-s", url, "orders.ids", "b", "--count", "3", "--msg-id", "x")

	r = ok(t, "stream", "get", "-s", url, "ORDERS", "2")
	assert.Contains(t, r.stdout, "ORDERS#2")
	assert.Contains(t, r.stdout, "X-I: b")
	assert.Contains(t, r.stdout, "body-b")
	r = ok(t, "stream", "get", "-s", url, "ORDERS", "--last-for", "orders.new", "--direct", "--json")
	var m struct {
		Sequence uint64
		Data     []byte
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
	assert.EqualValues(t, 2, m.Sequence)

	r = ok(t, "stream", "info", "-s", url, "ORDERS", "--json")
	var info struct {
		State struct {
			Messages uint64 `json:"messages"`
		} `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &info))
	assert.EqualValues(t, 3+500+3, info.State.Messages, "the repeated msg ids were deduplicated")
	r = ok(t, "stream", "info", "-s", url, "ORDERS", "--subjects", "orders.ids")
	assert.Contains(t, r.stdout, "orders.ids")

	r = ok(t, "stream", "edit", "-s", url, "ORDERS", "--description", "edited", "--max-msgs", "10000")
	assert.Contains(t, r.stdout, "Description: edited")
	assert.Contains(t, r.stdout, "Maximum Age: 24h0m0s", "keys not given stay")
	assert.Contains(t, r.stdout, "Maximum Messages: 10000")

	r = run(t, cmdOpts{}, "stream", "purge", "-s", url, "ORDERS")
	assert.Equal(t, 2, r.code, "purge asks for -f")
	r = ok(t, "stream", "purge", "-s", url, "ORDERS", "-f", "--subject", "orders.bulk", "--keep", "10")
	assert.Contains(t, r.stderr, "Purged 490 messages")
	r = ok(t, "stream", "rm", "-s", url, "ORDERS", "-f")
	assert.Contains(t, r.stderr, `Removed stream "ORDERS"`)
	r = run(t, cmdOpts{}, "stream", "info", "-s", url, "ORDERS")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "stream not found")
	r = ok(t, "stream", "ls", "-s", url)
	assert.Contains(t, r.stdout, "No streams defined")
}

// Without -s or NATS_URL the commands start the embedded server, as the
// other subcommands do.
func TestStreamOnEmbeddedServer(t *testing.T) {
	t.Parallel()
	r := ok(t, "stream", "add", "E", "--subjects", "e")
	assert.Contains(t, r.stderr, "started an embedded nats-server")
	assert.Contains(t, r.stdout, "Information for Stream E")
	// Each command has an embedded server of its own: the stream went
	// with the first one.
	r = run(t, cmdOpts{}, "js", "pub", "e", "x")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "no stream response")
}

func TestStreamUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"stream", "add"},
		{"stream", "add", "X", "--storage", "disk"},
		{"stream", "get", "X"},
		{"stream", "get", "X", "zero"},
		{"stream", "purge", "X", "-f", "--seq", "3", "--keep", "1"},
		{"js", "pub", "s", "b", "--ttl", "10ms"},
		{"js", "pub", "s", "b", "--count", "0"},
	} {
		r := run(t, cmdOpts{}, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r)
		assert.Equal(t, 1, len(strings.Split(strings.TrimSpace(r.stderr), "\n")), "%v: one line: %s", args, r.stderr)
	}
}
