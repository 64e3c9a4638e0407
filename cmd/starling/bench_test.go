package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type benchDoc struct {
	Server struct {
		Embedded bool `json:"embedded"`
	} `json:"server"`
	Subject string `json:"subject"`
	Pubs    int    `json:"pub"`
	Subs    int    `json:"sub"`
	Results []struct {
		Section    string             `json:"section"`
		Name       string             `json:"name"`
		Msgs       int64              `json:"msgs"`
		MsgsPerSec float64            `json:"msgs_per_sec"`
		Lost       int64              `json:"lost"`
		LatencyUS  map[string]float64 `json:"latency_us"`
		Clients    []struct {
			Msgs int64 `json:"msgs"`
		} `json:"clients"`
	} `json:"results"`
}

func benchJSON(t *testing.T, o cmdOpts, args ...string) benchDoc {
	t.Helper()
	r := run(t, o, append([]string{"bench", "--json"}, args...)...)
	require.Equal(t, 0, r.code, r)
	var doc benchDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	return doc
}

// The nats bench shapes: several publishers share --msgs, every
// subscriber gets them all, and the sums agree with the clients.
func TestBenchShapes(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	doc := benchJSON(t, cmdOpts{}, "-s", s.ClientURL(), "--only", "pub,pubsub,req", "--msgs", "3001", "--reqs", "300",
		"--pub", "2", "--sub", "3", "--repliers", "2", "--inflight", "4", "--size", "32")
	require.Len(t, doc.Results, 4)
	assert.Equal(t, 2, doc.Pubs)
	assert.Equal(t, 3, doc.Subs)
	assert.True(t, strings.HasPrefix(doc.Subject, "bench."), doc.Subject)
	pub, pubsub, seq, par := doc.Results[0], doc.Results[1], doc.Results[2], doc.Results[3]
	assert.Equal(t, int64(3001), pub.Msgs)
	require.Len(t, pub.Clients, 2)
	assert.Equal(t, int64(1501), pub.Clients[0].Msgs)
	assert.Equal(t, int64(1500), pub.Clients[1].Msgs)
	assert.Equal(t, int64(3*3001), pubsub.Msgs)
	assert.Zero(t, pubsub.Lost)
	require.Len(t, pubsub.Clients, 3)
	for _, c := range pubsub.Clients {
		assert.Equal(t, int64(3001), c.Msgs)
	}
	assert.Equal(t, int64(300), seq.Msgs)
	assert.Equal(t, int64(300), par.Msgs)
	for _, res := range []int{2, 3} {
		lat := doc.Results[res].LatencyUS
		for _, k := range []string{"min", "p50", "p90", "p99", "p99.9", "max"} {
			assert.Greater(t, lat[k], 0.0, k)
		}
		assert.LessOrEqual(t, lat["p50"], lat["p99"])
		assert.LessOrEqual(t, lat["p99"], lat["max"]*1.001)
	}
	for _, res := range doc.Results {
		assert.Greater(t, res.MsgsPerSec, 0.0, res.Name)
	}
}

// Request/reply against a replier in another process, as with
// "nats bench service serve".
func TestBenchSeparateReplier(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rep := start(t, cmdOpts{}, "reply", "-s", s.ClientURL(), "--echo", "--quiet", "svc.echo")
	rep.waitStderr("answering requests")
	doc := benchJSON(t, cmdOpts{}, "svc.echo", "-s", s.ClientURL(), "--only", "req", "--repliers", "0", "--reqs", "200", "--inflight", "0")
	require.Len(t, doc.Results, 1)
	assert.Equal(t, "svc.echo", doc.Subject)
	assert.Equal(t, int64(200), doc.Results[0].Msgs)
}

// The README's first command: on a machine with nothing at the default
// URL, bench runs against an embedded server and prints its table.
func TestBenchEmbeddedByDefault(t *testing.T) {
	t.Parallel()
	r := run(t, cmdOpts{}, "bench", "--msgs", "2000", "--reqs", "100", "--inflight", "4")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "started an embedded nats-server")
	assert.Contains(t, r.stdout, "embedded in this process")
	for _, row := range []string{"publish ", "publish → subscribe", "request/reply", "request/reply, 4 in flight"} {
		assert.Contains(t, r.stdout, row)
	}
}

// --duration alone bounds each section by time.
func TestBenchDuration(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	doc := benchJSON(t, cmdOpts{}, "-s", s.ClientURL(), "--only", "pub", "--duration", "200ms")
	require.Len(t, doc.Results, 1)
	assert.Greater(t, doc.Results[0].Msgs, int64(0))
}

// Ctrl-C ends a bench with what it measured so far, marked partial, and
// exit 1: the figures are not a full run's.
func TestBenchInterrupted(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	p := start(t, cmdOpts{}, "bench", "-s", s.ClientURL(), "--only", "pub", "--duration", "60s", "--progress")
	p.waitStderr("publish: ")
	assert.Equal(t, 1, p.stop())
	assert.Contains(t, p.out.String(), "publish: interrupted, partial result")
	assert.Contains(t, p.errOut.String(), "starling bench: interrupted\n")
}
