package codec_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// stdJSON encodes v the way encoding/json does with HTML escaping off (the
// form the hand-written encoders promise to match byte for byte).
func stdJSON(t interface{ Fatal(...any) }, v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
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
