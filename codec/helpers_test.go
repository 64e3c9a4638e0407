package codec

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"testing"
)

// describe renders an Op as one line of text: the form the transcript golden
// files use and the tests compare. nil and empty slices render differently.
func describe(op *Op) string {
	var b strings.Builder
	b.WriteString(op.Kind.String())
	put := func(name string, v []byte) {
		b.WriteByte(' ')
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(quoteBytes(v))
	}
	switch op.Kind {
	case OpMsg, OpHMsg:
		put("subject", op.Subject)
		put("sid", op.SID)
		put("reply", op.Reply)
		if op.Kind == OpHMsg {
			put("header", op.Header)
		}
		put("payload", op.Payload)
	case OpInfo, OpErr:
		put("text", op.Text)
	}
	return b.String()
}

// quoteBytes quotes v, or summarises it by length and checksum when it is
// too long to read (the large transcript's payloads).
func quoteBytes(v []byte) string {
	switch {
	case v == nil:
		return "nil"
	case len(v) > 1024:
		return fmt.Sprintf("<%d bytes, crc32 %08x>", len(v), crc32.ChecksumIEEE(v))
	}
	return strconv.Quote(string(v))
}

// describeClient is describe for ClientOp.
func describeClient(op *ClientOp) string {
	var b strings.Builder
	b.WriteString(op.Kind.String())
	put := func(name string, v []byte) {
		b.WriteByte(' ')
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(quoteBytes(v))
	}
	switch op.Kind {
	case OpPub, OpHPub:
		put("subject", op.Subject)
		put("reply", op.Reply)
		if op.Kind == OpHPub {
			put("header", op.Header)
		}
		put("payload", op.Payload)
	case OpSub:
		put("subject", op.Subject)
		put("queue", op.Queue)
		put("sid", op.SID)
	case OpUnsub:
		put("sid", op.SID)
		b.WriteString(" max=" + strconv.Itoa(op.Max))
	case OpConnect:
		put("text", op.Text)
	}
	return b.String()
}

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
		out = append(out, describe(op))
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
		out = append(out, describeClient(op))
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
