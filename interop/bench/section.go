package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The benchmark owns only what lies between these markers in docs/perf.md;
// other sections of the file (codec, transport) belong to others and are
// never touched.
const (
	markerStart    = "<!-- interop-bench:start -->"
	markerEnd      = "<!-- interop-bench:end -->"
	sectionHeading = "## client: Starling beside nats.go"
	// docTitle heads a docs/perf.md that did not exist yet.
	docTitle = "# Performance"
)

// errMarkers is returned for a file whose markers are not one start
// followed by one end: guessing where the section ends could eat someone
// else's text.
var errMarkers = errors.New("bench: docs/perf.md must hold exactly one " + markerStart + " followed by one " + markerEnd)

// replaceSection returns doc with body between the markers. Without
// markers, they are added under the section's heading, the heading too when
// it is missing (at the end of the file).
func replaceSection(doc []byte, body string) ([]byte, error) {
	start := []byte(markerStart)
	end := []byte(markerEnd)
	ns, ne := bytes.Count(doc, start), bytes.Count(doc, end)
	block := markerStart + "\n" + body + "\n" + markerEnd
	switch {
	case ns == 1 && ne == 1:
		i, j := bytes.Index(doc, start), bytes.Index(doc, end)
		if j < i {
			return nil, errMarkers
		}
		var out bytes.Buffer
		out.Write(doc[:i])
		out.WriteString(block)
		out.Write(doc[j+len(end):])
		return out.Bytes(), nil
	case ns != 0 || ne != 0:
		return nil, errMarkers
	}
	if i := headingLine(doc); i >= 0 {
		var out bytes.Buffer
		out.Write(doc[:i])
		out.WriteString("\n\n" + block + "\n")
		out.Write(doc[i:])
		return out.Bytes(), nil
	}
	var out bytes.Buffer
	if len(bytes.TrimSpace(doc)) == 0 {
		out.WriteString(docTitle + "\n")
	} else {
		out.Write(doc)
		if !bytes.HasSuffix(doc, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	out.WriteString("\n" + sectionHeading + "\n\n" + block + "\n")
	return out.Bytes(), nil
}

// headingLine returns the offset just past the section heading's text (before its
// line break), or -1 when the file has no such line.
func headingLine(doc []byte) int {
	h := []byte(sectionHeading)
	for off := 0; off < len(doc); {
		line := doc[off:]
		if k := bytes.IndexByte(line, '\n'); k >= 0 {
			line = line[:k]
		}
		if bytes.Equal(bytes.TrimRight(line, " \r"), h) {
			return off + len(bytes.TrimRight(line, "\r"))
		}
		off += len(line) + 1
	}
	return -1
}

// writeSection rewrites the section of the file at path (created when
// missing) through a temporary file and a rename, so a reader never sees
// half a file.
func writeSection(path, body string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	out, err := replaceSection(doc, body)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeFileAtomic(path, out)
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
