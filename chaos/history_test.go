package chaos_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/chaos"
)

func sampleHistory() []chaos.Op {
	return []chaos.Op{
		{Process: "nemesis", F: string(chaos.Kill), Node: "n2", Outcome: chaos.OK, Start: 1e9, End: 3e9, Detail: "SIGKILL, restarted after 2s"},
		{Process: "pub-1", F: "publish", Key: "chaos.p1", Value: "p1-0", Outcome: chaos.OK, Seq: 1, Start: 0, End: 2e6},
		{Process: "pub-1", F: "publish", Key: "chaos.p1", Value: "p1-1", Outcome: chaos.Unknown, Err: "timeout", Start: 2e9, End: 4e9, Missing: true},
		{Process: "kv-1", F: "update", Key: "k0", Value: "1-3", Expect: 7, Outcome: chaos.Fail, Start: 5e8, End: 6e8},
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	h := sampleHistory()
	require.NoError(t, chaos.WriteHistory(path, h))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(b)), "\n"), len(h), "one line per operation")
	got, err := chaos.ReadHistory(path)
	require.NoError(t, err)
	assert.Equal(t, h, got)

	require.NoError(t, os.WriteFile(path, []byte("{\"process\":\"pub-1\"}\nnot json\n"), 0o600))
	_, err = chaos.ReadHistory(path)
	assert.ErrorContains(t, err, "line 2")
}

func TestTimelineDrawsOpsAndFaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.html")
	require.NoError(t, chaos.WriteTimeline(path, 7, sampleHistory()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(b)
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.Contains(t, page, "seed 7")
	assert.Contains(t, page, "kill n2", "the fault band's details")
	assert.Contains(t, page, "SIGKILL, restarted after 2s")
	assert.Contains(t, page, "p1-1 unknown", "each operation's details")
	assert.Contains(t, page, "stroke=\"#000\"", "the flagged operation is outlined")
	for _, lane := range []string{">kv-1<", ">pub-1<"} {
		assert.Contains(t, page, lane)
	}
	assert.NotContains(t, page, ">nemesis<", "faults are bands, not a lane")
}
