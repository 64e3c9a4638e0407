package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplaceSectionCreatesFile(t *testing.T) {
	out, err := replaceSection(nil, "body")
	require.NoError(t, err)
	assert.Equal(t, docTitle+"\n\n"+sectionHeading+"\n\n"+markerStart+"\nbody\n"+markerEnd+"\n", string(out))
}

func TestReplaceSectionAppendsAfterOthers(t *testing.T) {
	doc := "# Performance\n\n## codec\n\ncodec text\n\n## transport\n\ntransport text" // no final newline
	out, err := replaceSection([]byte(doc), "body")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(out), doc+"\n"), "the others' text is kept as it was")
	assert.True(t, strings.HasSuffix(string(out), "\n"+sectionHeading+"\n\n"+markerStart+"\nbody\n"+markerEnd+"\n"))
}

func TestReplaceSectionUnderExistingHeading(t *testing.T) {
	doc := "# Performance\n\n" + sectionHeading + "\n\n## transport\n\nt\n"
	out, err := replaceSection([]byte(doc), "body")
	require.NoError(t, err)
	assert.Equal(t, "# Performance\n\n"+sectionHeading+"\n\n"+markerStart+"\nbody\n"+markerEnd+"\n\n\n## transport\n\nt\n", string(out))
}

func TestReplaceSectionRewritesOnlyBetweenMarkers(t *testing.T) {
	before := "# Performance\n\n## codec\n\nc\n\n" + sectionHeading + "\n\n"
	after := "\n\n## transport\n\nt\n"
	doc := before + markerStart + "\nold\ntable\n" + markerEnd + after
	out, err := replaceSection([]byte(doc), "new")
	require.NoError(t, err)
	assert.Equal(t, before+markerStart+"\nnew\n"+markerEnd+after, string(out))

	again, err := replaceSection(out, "new")
	require.NoError(t, err)
	assert.Equal(t, string(out), string(again), "rewriting is idempotent")
}

func TestReplaceSectionRefusesBrokenMarkers(t *testing.T) {
	for name, doc := range map[string]string{
		"start only":   "a\n" + markerStart + "\nb\n",
		"end only":     "a\n" + markerEnd + "\n",
		"reversed":     markerEnd + "\nx\n" + markerStart + "\n",
		"two sections": markerStart + markerEnd + markerStart + markerEnd,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := replaceSection([]byte(doc), "body")
			assert.ErrorIs(t, err, errMarkers)
		})
	}
}

func TestWriteSectionLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "perf.md")
	require.NoError(t, writeSection(path, "one"))
	require.NoError(t, writeSection(path, "two"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), markerStart+"\ntwo\n"+markerEnd)
	assert.NotContains(t, string(b), "one")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}
