package main_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChaosUnknownKindIsAUsageError(t *testing.T) {
	r := run(t, cmdOpts{}, "chaos", "--kinds", "kill,meteor")
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, `unknown fault kind "meteor"`)
}

// --check re-checks a saved history without starting anything: a stale read after an
// acknowledged write is not linearizable, and the command names it.
func TestChaosCheckSavedHistory(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(
		`{"process":"kv-1","f":"put","key":"k","value":"a","outcome":"ok","seq":1,"start":0,"end":10}
{"process":"kv-1","f":"put","key":"k","value":"b","outcome":"ok","seq":2,"start":20,"end":30}
{"process":"kv-2","f":"get","key":"k","value":"a","outcome":"ok","seq":1,"start":40,"end":50}
`), 0o600))
	r := run(t, cmdOpts{}, "chaos", "--check", bad)
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stdout, "kv linearizable: Illegal")
	assert.Contains(t, r.stdout, "Process:kv-2 F:get")

	good := filepath.Join(dir, "good.jsonl")
	require.NoError(t, os.WriteFile(good, []byte(
		`{"process":"kv-1","f":"put","key":"k","value":"a","outcome":"ok","seq":1,"start":0,"end":10}
{"process":"kv-2","f":"get","key":"k","value":"a","outcome":"ok","seq":1,"start":40,"end":50}
`), 0o600))
	r = run(t, cmdOpts{}, "chaos", "--check", good)
	assert.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "kv linearizable: Ok")

	r = run(t, cmdOpts{}, "chaos", "--check", filepath.Join(dir, "missing.jsonl"))
	assert.Equal(t, 1, r.code, r)
}
