package main

import (
	"context"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// rowRE matches a table row: name, msgs, time, msgs/s, MB/s, p50, p90, p99, max.
func rowRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+([\d,]+)\s+\S+\s+([\d,]+)\s+[\d.]+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$`)
}

func TestBenchTable(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	out, stderr, err := runCmd(t, benchCommand, "-s", s.ClientURL(), "--msgs", "2000", "--reqs", "300", "--inflight", "4", "--size", "32")
	require.NoError(t, err, stderr)
	assert.Contains(t, out, "Starling bench: 32-byte payloads")
	assert.Contains(t, out, "nats-server 2.15.2, at "+s.ClientURL())
	assert.Contains(t, out, "borrowed-message subscriber")
	assert.NotContains(t, stderr, "embedded")
	assert.NotContains(t, stderr, "\r", "no progress when stderr is not a terminal")

	for _, tc := range []struct {
		name    string
		msgs    string
		latency bool
	}{
		{"publish", "2,000", false},
		{"publish → subscribe", "2,000", false},
		{"request/reply", "300", true},
		{"request/reply, 4 in flight", "300", true},
	} {
		m := rowRE(tc.name).FindStringSubmatch(out)
		require.NotNil(t, m, "row %q in:\n%s", tc.name, out)
		assert.Equal(t, tc.msgs, m[1], tc.name)
		assert.NotEqual(t, "0", m[2], "%s: a rate", tc.name)
		if tc.latency {
			for _, p := range m[3:] {
				assert.Regexp(t, `^[\d.]+(ns|µs|ms|s)$`, p, tc.name)
			}
		} else {
			assert.Equal(t, []string{"-", "-", "-", "-"}, m[3:], tc.name)
		}
	}
	assert.NotContains(t, out, "lost")
}

func TestBenchJSON(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	out, stderr, err := runCmd(t, benchCommand, "-s", s.ClientURL(), "--msgs", "1000", "--reqs", "100", "--inflight", "3", "--owned", "--json", "--subject", "b.json")
	require.NoError(t, err, stderr)
	var doc struct {
		Server struct {
			URL, Version string
			Embedded     bool
		}
		Size, CPUs int
		Subject    string
		Owned      bool
		Results    []struct {
			Section, Name string
			Msgs          int64
			Seconds       float64
			MsgsPerSec    float64 `json:"msgs_per_sec"`
			MBPerSec      float64 `json:"mb_per_sec"`
			Lost          int64
			LatencyUS     map[string]float64 `json:"latency_us"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	assert.Equal(t, s.ClientURL(), doc.Server.URL)
	assert.False(t, doc.Server.Embedded)
	assert.Equal(t, 16, doc.Size)
	assert.Equal(t, "b.json", doc.Subject)
	assert.True(t, doc.Owned)
	require.Len(t, doc.Results, 4)
	for i, want := range []struct {
		section string
		msgs    int64
	}{{"pub", 1000}, {"pubsub", 1000}, {"req", 100}, {"req", 100}} {
		r := doc.Results[i]
		assert.Equal(t, want.section, r.Section)
		assert.Equal(t, want.msgs, r.Msgs, r.Name)
		assert.Positive(t, r.Seconds, r.Name)
		assert.InDelta(t, float64(r.Msgs)/r.Seconds, r.MsgsPerSec, r.MsgsPerSec*1e-9, r.Name)
		assert.Zero(t, r.Lost, r.Name)
		if r.Section == "req" {
			l := r.LatencyUS
			assert.Positive(t, l["min"], r.Name)
			assert.LessOrEqual(t, l["min"], l["p50"], r.Name)
			assert.LessOrEqual(t, l["p50"], l["p90"], r.Name)
			assert.LessOrEqual(t, l["p90"], l["p99"], r.Name)
			assert.LessOrEqual(t, l["p99"], l["max"], r.Name)
			assert.InDelta(t, 2*16*float64(r.Msgs)/1e6/r.Seconds, r.MBPerSec, 1e-9, "MB/s counts both ways")
		} else {
			assert.Nil(t, r.LatencyUS, r.Name)
			assert.InDelta(t, 16*float64(r.Msgs)/1e6/r.Seconds, r.MBPerSec, 1e-9, r.Name)
		}
	}
}

// The README's command: no server named, so bench runs its own.
func TestBenchEmbeddedServer(t *testing.T) {
	t.Parallel()
	out, stderr, err := runCmd(t, benchCommand, "--msgs", "1000", "--reqs", "100", "--inflight", "2")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "started an embedded nats-server")
	assert.Contains(t, out, "embedded in this process at nats://127.0.0.1:")
	for _, name := range []string{"publish", "publish → subscribe", "request/reply", "request/reply, 2 in flight"} {
		assert.Regexp(t, rowRE(name), out)
	}
}

func TestBenchDurationAndOnly(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	start := time.Now()
	out, stderr, err := runCmd(t, benchCommand, "-s", s.ClientURL(), "--duration", "600ms", "--only", "pub,req", "--inflight", "0", "--progress")
	require.NoError(t, err, stderr)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 1200*time.Millisecond, "two phases of 600 ms")
	assert.Less(t, took, 10*time.Second)
	assert.Regexp(t, rowRE("publish"), out)
	assert.Regexp(t, rowRE("request/reply"), out)
	assert.NotContains(t, out, "publish → subscribe", "--only leaves it out")
	assert.NotContains(t, out, "in flight", "--inflight 0 skips the concurrent phase")
	// --progress without a terminal: whole lines, no carriage returns.
	assert.Regexp(t, `(?m)^publish: [\d,]+ \(\d+%\), [\d,]+/s$`, stderr)
	assert.NotContains(t, stderr, "\r")

	// --duration with --msgs: whichever comes first.
	out, stderr, err = runCmd(t, benchCommand, "-s", s.ClientURL(), "--duration", "1m", "--msgs", "500", "--only", "pubsub")
	require.NoError(t, err, stderr)
	m := rowRE("publish → subscribe").FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, "500", m[1])
}

func TestBenchInterrupted(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	st, out, errOut := testStdio(nil, "")
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := benchCommand(ctx, st, []string{"-s", s.ClientURL(), "--duration", "1m"})
	require.Error(t, err)
	assert.Equal(t, "interrupted", err.Error())
	assert.Less(t, time.Since(start), 10*time.Second, errOut.String())
	assert.Contains(t, out.String(), "interrupted, partial result", "what was measured is still printed")
}

func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--msgs", "0"}, "--msgs and --reqs must be at least 1"},
		{[]string{"--size", "-1"}, "--size must not be negative"},
		{[]string{"--only", "pub,nope"}, `unknown section "nope"`},
		{[]string{"--duration", "-1s"}, "--duration must not be negative"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, _, err := runCmd(t, benchCommand, append([]string{"-s", "nats://127.0.0.1:1"}, tc.args...)...)
		var ue usageError
		require.ErrorAs(t, err, &ue, "%q", tc.args)
		assert.Contains(t, err.Error(), tc.want)
	}

	s := harness.RunServer(t, harness.WithMaxPayload(100))
	_, _, err := runCmd(t, benchCommand, "-s", s.ClientURL(), "--size", "101")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "above the server's max_payload 100")
}

func TestCommasAndDurations(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234", math.MaxInt64: "9,223,372,036,854,775,807"} {
		assert.Equal(t, want, commas(n))
	}
	for d, want := range map[time.Duration]string{
		812: "812ns", 95300: "95.3µs", 1270 * time.Microsecond: "1.27ms", 3510 * time.Millisecond: "3.51s",
		150 * time.Microsecond: "150µs", 0: "0ns",
	} {
		assert.Equal(t, want, fmtDuration(d))
	}
	assert.Equal(t, "publish: 500 / 1,000 (50%), 1,000/s", progressLine("publish", 500, 1000, 0, 500*time.Millisecond))
	assert.Equal(t, "x: 10, 10/s", progressLine("x", 10, math.MaxInt64, 0, time.Second))
	assert.Equal(t, "x: 10 (25%), 10/s", progressLine("x", 10, math.MaxInt64, 4*time.Second, time.Second))
	assert.True(t, strings.HasPrefix(progressLine("x", 10, 20, 4*time.Second, 3*time.Second), "x: 10 / 20 (75%)"), "the bound nearer its end decides")
}
