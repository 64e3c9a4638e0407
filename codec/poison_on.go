//go:build codecdebug

package codec

// poisonStale is on under the codecdebug build tag: every byte a decoder has
// consumed is overwritten with poisonByte at the start of the next Next (and
// pooled buffers are poisoned when returned), so a test that keeps a borrowed
// slice past its lifetime sees garbage instead of plausible data:
//
//	go test -tags codecdebug ./...
const poisonStale = true

// poisonByte is not valid in a subject, a number or a header, so poisoned
// data fails loudly wherever it is used.
const poisonByte = 0xDB

func poison(b []byte) {
	if len(b) == 0 {
		return
	}
	b[0] = poisonByte
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
