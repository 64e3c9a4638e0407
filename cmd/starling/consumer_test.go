package main_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestConsumerLifecycle(t *testing.T) {
	t.Parallel()
	url := startServer(t, harness.WithJetStream()).ClientURL()
	ok(t, "stream", "add", "-s", url, "ORDERS", "--subjects", "orders.>")
	ok(t, "js", "pub", "-s", url, "orders.new", "first")
	ok(t, "js", "pub", "-s", url, "orders.new", "second")
	ok(t, "js", "pub", "-s", url, "orders.old", "other")

	r := ok(t, "consumer", "add", "-s", url, "ORDERS", "billing", "--filter", "orders.new", "--wait", "1m", "--description", "bills")
	assert.Contains(t, r.stdout, "Information for Consumer ORDERS > billing")
	assert.Contains(t, r.stdout, "Filter Subject: orders.new")
	assert.Contains(t, r.stdout, "Ack Wait: 1m0s")
	ok(t, "consumer", "add", "-s", url, "ORDERS", "push", "--target", "push.in", "--heartbeat", "1s", "--flow-control")

	r = ok(t, "consumer", "ls", "-s", url, "ORDERS", "--names")
	assert.ElementsMatch(t, []string{"billing", "push"}, splitLines(r.stdout))
	r = ok(t, "consumer", "ls", "-s", url, "ORDERS")
	assert.Contains(t, r.stdout, "bills")

	r = ok(t, "consumer", "next", "-s", url, "ORDERS", "billing", "--count", "2")
	assert.Contains(t, r.stdout, "str seq: 1")
	assert.Contains(t, r.stdout, "first")
	assert.Contains(t, r.stdout, "second")
	r = run(t, cmdOpts{}, "consumer", "next", "-s", url, "ORDERS", "billing", "--wait", "300ms")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "408")

	r = ok(t, "consumer", "info", "-s", url, "ORDERS", "billing", "--json")
	var ci struct {
		AckFloor struct {
			Stream uint64 `json:"stream_seq"`
		} `json:"ack_floor"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ci))
	assert.EqualValues(t, 2, ci.AckFloor.Stream, "next acked both")

	r = ok(t, "consumer", "pause", "-s", url, "ORDERS", "billing", "--until", "1h")
	assert.Contains(t, r.stdout, "Paused consumer billing")
	r = ok(t, "consumer", "info", "-s", url, "ORDERS", "billing")
	assert.Contains(t, r.stdout, "Paused: true")
	ok(t, "consumer", "resume", "-s", url, "ORDERS", "billing")

	r = run(t, cmdOpts{}, "consumer", "rm", "-s", url, "ORDERS", "billing")
	assert.Equal(t, 2, r.code, r)
	ok(t, "consumer", "rm", "-s", url, "ORDERS", "billing", "-f")
	r = run(t, cmdOpts{}, "consumer", "info", "-s", url, "ORDERS", "billing")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "consumer not found")
	r = run(t, cmdOpts{}, "consumer", "add", "-s", url, "ORDERS", "bad", "--ack", "maybe")
	assert.Equal(t, 2, r.code, r)
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
