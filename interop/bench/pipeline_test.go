package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyConfig is the quick pipeline with counts small enough for a test:
// every case, one pair, a few hundred operations each.
func tinyConfig(t *testing.T, doc string) config {
	c := quickConfig()
	c.pairs, c.idlePairs = 1, 1
	c.inflight = 8
	c.fixedOps = map[caseKind]int64{kindPub: 2000, kindPubSub: 1000, kindReqSeq: 100, kindReqPar: 400, kindIdleSubs: 500}
	c.stall = 5 * time.Second
	c.runTimeout = 30 * time.Second
	c.docPath = doc
	c.svgPath = filepath.Join(filepath.Dir(doc), "perf.svg")
	c.command = "cd interop && go run ./bench (test)"
	return c
}

// perfDocCopy copies the repository's docs/perf.md into a temporary
// directory (or writes one with other sections when it does not exist yet),
// so the test never touches the real file.
func perfDocCopy(t *testing.T) (path string, original []byte) {
	original = []byte("# Performance\n\n## codec\n\ncodec figures\n\n## transport\n\ntransport figures\n")
	if root, err := repoRoot(); err == nil {
		b, err := os.ReadFile(filepath.Join(root, "docs", "perf.md"))
		if err == nil {
			original = b
		} else {
			require.ErrorIs(t, err, os.ErrNotExist)
		}
	}
	path = filepath.Join(t.TempDir(), "perf.md")
	require.NoError(t, os.WriteFile(path, original, 0o644))
	return path, original
}

func TestQuickPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a nats-server process and runs every case")
	}
	doc, original := perfDocCopy(t)
	cfg := tinyConfig(t, doc)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := run(ctx, &cfg, &out)
	require.NoError(t, err, out.String())

	// Every case ran, and every run counted every message.
	require.Len(t, rep.results, len(allCases(&cfg)))
	for _, res := range rep.results {
		assert.Empty(t, problems(res), res.spec.id)
		for vi, runs := range res.samples {
			require.Len(t, runs, 1, res.spec.id)
			s := runs[0]
			assert.EqualValues(t, res.n, s.out.done, "%s %s", res.spec.id, res.spec.variants[vi].name)
			if res.spec.kind != kindIdleSubs {
				assert.Positive(t, s.wall, res.spec.id)
			}
		}
	}
	// Figures exist where they must: Starling and nats.go everywhere, the
	// raw socket for publish and publish → subscriber.
	for _, rows := range rep.rows {
		for _, r := range rows {
			what := r.res.spec.id + " " + r.v.short + " " + r.m.id
			assert.False(t, isNaN(r.s) || isNaN(r.n), what)
			assert.Equal(t, r.m.raw && (r.res.spec.kind == kindPub || r.res.spec.kind == kindPubSub), !isNaN(r.raw), what)
			if r.target != nil {
				assert.Contains(t, []verdict{targetMet, targetMissed}, r.verdict, what)
			}
		}
	}

	// The section went between the markers; the rest of the file is as it was.
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	text := string(got)
	require.Equal(t, 1, strings.Count(text, markerStart))
	require.Equal(t, 1, strings.Count(text, markerEnd))
	assert.Contains(t, text, sectionHeading+"\n")
	before, rest, _ := strings.Cut(text, markerStart)
	_, after, _ := strings.Cut(rest, markerEnd)
	if i := strings.Index(string(original), markerStart); i >= 0 {
		j := strings.Index(string(original), markerEnd)
		assert.Equal(t, string(original[:i]), before)
		assert.Equal(t, string(original[j+len(markerEnd):]), after)
	} else {
		assert.True(t, strings.HasPrefix(text, strings.TrimRight(string(original), "\n")), "the other sections are kept")
	}
	for _, want := range []string{
		"| case | figure | Starling | nats.go | Starling ÷ nats.go | raw socket | Starling ÷ raw | target | result |",
		"### " + groupPub, "### " + groupPubSub, "### " + groupReq, "### " + groupIdleSub,
		"| 16 B | rate |", "| 64 KiB | client CPU per message |", "| 16 B + 1 header, borrowed | allocations per message |",
		"| sequential | latency p50 |", "| 8 in flight | requests per second |", "| 500 subscriptions | heap + stack per subscription |",
		"**Command:** `cd interop && go run ./bench (test)` (wall time ",
		runtime.Version(), "nats-server 2.", "cores", "load average", "1 pair per case",
		"![Starling ÷ nats.go for each figure](perf.svg)",
	} {
		assert.Contains(t, rest, want)
	}

	// The chart is well-formed SVG with a bar per charted figure.
	svg, err := os.ReadFile(cfg.svgPath)
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	assert.Greater(t, rects, 20, "a background and a bar per figure")
}

func TestProfileVariant(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a nats-server process")
	}
	doc, _ := perfDocCopy(t)
	cfg := tinyConfig(t, doc)
	cfg.profileDir = t.TempDir()
	cfg.profileTime = 300 * time.Millisecond
	srv, err := startServer()
	require.NoError(t, err)
	defer srv.Stop()
	e := newEnv(&cfg, srv, io.Discard)
	var pub *caseSpec
	for _, c := range allCases(&cfg) {
		if c.id == "pub-16B" {
			pub = c
		}
	}
	require.NotNil(t, pub)
	res := &caseResult{spec: pub, n: 20_000}
	ps, err := profileVariant(context.Background(), e, res, &pub.variants[0], filepath.Join(cfg.profileDir, "pub"))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Contains(t, ps[0].top, "Type: cpu")
	assert.Contains(t, ps[1].top, "Type: alloc_objects")
	assert.Contains(t, ps[1].top, "focus=github.com/starling-nats/starling/")
	for _, p := range ps {
		assert.FileExists(t, p.file)
	}
}
