package main_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// The obj commands end to end against one JetStream server: add, put of a
// file and of stdin, ls, get to a file and to stdout, info, links, rm,
// watch, seal, and the errors of each, one line and exit 1.
func TestObjCommands(t *testing.T) {
	t.Parallel()
	s := startServer(t, harness.WithJetStream())
	url := s.ClientURL()
	dir := t.TempDir()
	src := filepath.Join(dir, "data.bin")
	data := make([]byte, 5<<20+3)
	_, _ = rand.Read(data)
	require.NoError(t, os.WriteFile(src, data, 0o600))

	r := run(t, cmdOpts{}, "obj", "add", "-s", url, "files", "--description", "test files", "--compress")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Object store:   files")
	assert.Contains(t, r.stdout, "test files")
	assert.Contains(t, r.stdout, "Compressed:     true")

	w := start(t, cmdOpts{}, "obj", "watch", "-s", url, "files")
	w.waitStderr("watching files for changes")

	r = run(t, cmdOpts{}, "obj", "put", "-s", url, "files", src)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "stored data.bin in files: 5.0 MiB in 41 chunks, SHA-256=")
	assert.NotContains(t, r.stderr, "%", "no progress bar off a terminal")
	r = run(t, cmdOpts{stdin: []byte("hello\n")}, "obj", "put", "-s", url, "files", "--name", "dir/hello.txt")
	require.Equal(t, 0, r.code, r)
	w.waitStdout("data.bin")
	w.waitStdout("dir/hello.txt")

	r = run(t, cmdOpts{}, "obj", "ls", "-s", url)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "files")
	r = run(t, cmdOpts{}, "obj", "ls", "-s", url, "files")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "data.bin")
	assert.Contains(t, r.stdout, "dir/hello.txt")

	out := filepath.Join(dir, "out.bin")
	r = run(t, cmdOpts{}, "obj", "get", "-s", url, "files", "data.bin", "-O", out)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "digest verified")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	r = run(t, cmdOpts{}, "obj", "get", "-s", url, "files", "dir/hello.txt", "-O", "-")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "hello\n", r.stdout)

	r = run(t, cmdOpts{}, "obj", "info", "-s", url, "files", "data.bin")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "5242883 bytes")
	assert.Contains(t, r.stdout, "Chunks:")
	r = run(t, cmdOpts{}, "obj", "info", "-s", url, "files")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Backing store:  JetStream")

	r = run(t, cmdOpts{}, "obj", "link", "-s", url, "files", "latest", "files", "data.bin")
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "obj", "get", "-s", url, "files", "latest", "-O", out)
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "obj", "link", "-s", url, "files", "everything", "files")
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "obj", "ls", "-s", url, "files")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "link to files/data.bin")
	assert.Contains(t, r.stdout, "link to bucket files")

	r = run(t, cmdOpts{}, "obj", "rm", "-s", url, "files", "dir/hello.txt")
	require.Equal(t, 0, r.code, r)
	w.waitStdout("deleted")
	r = run(t, cmdOpts{}, "obj", "get", "-s", url, "files", "dir/hello.txt", "-O", "-")
	assert.Equal(t, 1, r.code, r)
	assert.Equal(t, "starling obj get: obj: object not found: dir/hello.txt (deleted)\n", r.stderr)
	r = run(t, cmdOpts{}, "obj", "ls", "-s", url, "files", "--deleted")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "deleted")

	r = run(t, cmdOpts{}, "obj", "seal", "-s", url, "files")
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "obj", "put", "-s", url, "files", src)
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "sealed")
	assert.Equal(t, 0, w.stop())

	// Errors of the command line exit 2; of the work, 1.
	r = run(t, cmdOpts{stdin: []byte("x")}, "obj", "put", "-s", url, "files")
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "--name")
	r = run(t, cmdOpts{}, "obj", "add", "-s", url, "b", "--storage", "tape")
	assert.Equal(t, 2, r.code, r)
	r = run(t, cmdOpts{}, "obj", "ls", "-s", url, "nope")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "object store not found")
	r = run(t, cmdOpts{}, "obj", "add", "-s", url, "bad.name")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "invalid object store name")

	r = run(t, cmdOpts{}, "obj", "rm", "-s", url, "files")
	require.Equal(t, 0, r.code, r)
	r = run(t, cmdOpts{}, "obj", "ls", "-s", url)
	require.Equal(t, 0, r.code, r)
	assert.NotContains(t, r.stdout, "files")
}
