package codec

import (
	"errors"
	"io"
	"testing"
)

// decodeAll reads ops until an error and returns their descriptions and the
// error (nil for a clean io.EOF). It checks the borrowing invariants on the
// way: every slice capped at its length.
func decodeAll(t testing.TB, src io.Reader, l Limits) ([]string, error) {
	t.Helper()
	r := NewReader(src, l)
	defer r.Release()
	var out []string
	for {
		op, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, err
		}
		for _, s := range [][]byte{op.Subject, op.SID, op.Reply, op.Header, op.Payload, op.Text} {
			if len(s) != cap(s) {
				t.Fatalf("slice of %v not capped: len %d cap %d", op.Kind, len(s), cap(s))
			}
		}
		out = append(out, op.String())
	}
}

// decodeAllClient is decodeAll for ClientReader.
func decodeAllClient(t testing.TB, src io.Reader, l Limits) ([]string, error) {
	t.Helper()
	r := NewClientReader(src, l)
	defer r.Release()
	var out []string
	for {
		op, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, err
		}
		for _, s := range [][]byte{op.Subject, op.Reply, op.Queue, op.SID, op.Header, op.Payload, op.Text} {
			if len(s) != cap(s) {
				t.Fatalf("slice of %v not capped: len %d cap %d", op.Kind, len(s), cap(s))
			}
		}
		out = append(out, op.String())
	}
}

// chunkReader returns its data in reads of the given sizes, cycling through
// them, to split operations at chosen places.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := c.sizes[c.i%len(c.sizes)]
	c.i++
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// splitReader returns data[:at] in its first read and the rest after.
func splitReader(data []byte, at int) io.Reader {
	return &chunkReader{data: data, sizes: []int{at, len(data)}}
}
