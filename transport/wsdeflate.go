package transport

import (
	"bytes"
	"compress/flate"
	"io"
	"sync"
)

// Both directions of permessage-deflate run without context takeover, so a
// compressor or decompressor carries nothing from one message to the next and can be
// shared between connections through a pool: a connection holds one only while it
// compresses a Write or reads out a compressed message, instead of ~1 MB for good.

var (
	deflaterPool sync.Pool // *flate.Writer
	emptyReader  = bytes.NewReader(nil)
)

func getDeflater(w io.Writer) *flate.Writer {
	if fw, ok := deflaterPool.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return fw
	}
	// BestSpeed, as nats-server uses: the link, not the ratio, is what compression is
	// for here, and a slow compressor would cost more than it saves.
	fw, _ := flate.NewWriter(w, flate.BestSpeed) // cannot fail for a valid level
	return fw
}

func putDeflater(fw *flate.Writer) {
	fw.Reset(io.Discard) // drop the reference to the connection's buffer
	deflaterPool.Put(fw)
}

func getInflater(r io.Reader) io.ReadCloser {
	if fr, ok := inflaterPool.Get().(io.ReadCloser); ok {
		_ = fr.(flate.Resetter).Reset(r, nil)
		return fr
	}
	return flate.NewReader(r)
}

func putInflater(fr io.ReadCloser) {
	_ = fr.(flate.Resetter).Reset(emptyReader, nil)
	inflaterPool.Put(fr)
}
