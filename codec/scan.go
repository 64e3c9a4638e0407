package codec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
)

// Control-line scanning shared by Reader and ClientReader. Everything here is
// written for the hot path: one pass per line, no strings, no allocation.

// isSep reports whether c separates the arguments of a control line. The
// server accepts any run of spaces and tabs between arguments.
func isSep(c byte) bool { return c == ' ' || c == '\t' }

// maxFields is the most arguments any operation has (HMSG, HPUB with reply).
const maxFields = 5

// span locates a field within the arguments of a control line. Positions
// rather than slices: the array is zeroed for every line, and five spans are
// a third of the size of five slices.
type span struct{ start, end uint32 }

type fields [maxFields]span

// get returns field i of args, capped at its length.
func (f *fields) get(args []byte, i int) []byte {
	s := f[i]
	return args[s.start:s.end:s.end]
}

// splitFields splits args into fields separated by runs of spaces or tabs,
// ignoring leading and trailing separators. Each field is capped at its
// length. It returns the number of fields, or -1 when there are more than
// len(f) of them.
//
// The line is scanned eight bytes at a time: ctlMask marks every byte <= ' '
// of a word, and only those (three or four per line) are then visited one by
// one and checked to be a space or a tab. A byte loop here was the decoder's
// largest cost.
func splitFields(args []byte, f *fields) int {
	n := 0
	prev := -1 // index of the last separator seen
	for base := 0; base < len(args); base += 8 {
		var m uint64
		if base+8 <= len(args) {
			m = ctlMask(binary.LittleEndian.Uint64(args[base:]))
		} else if len(args) >= 8 {
			// Load the last eight bytes again, dropping those already seen.
			seen := base + 8 - len(args)
			m = ctlMask(binary.LittleEndian.Uint64(args[len(args)-8:])) >> (8 * seen)
		} else {
			for i, c := range args {
				if c <= ' ' {
					m |= 0x80 << (8 * i)
				}
			}
		}
		for ; m != 0; m &= m - 1 {
			p := base + bits.TrailingZeros64(m)>>3
			if !isSep(args[p]) {
				continue // another control byte: part of a field
			}
			if p > prev+1 {
				if n == len(f) {
					return -1
				}
				f[n] = span{uint32(prev + 1), uint32(p)}
				n++
			}
			prev = p
		}
	}
	if prev+1 < len(args) {
		if n == len(f) {
			return -1
		}
		f[n] = span{uint32(prev + 1), uint32(len(args))}
		n++
	}
	return n
}

const (
	lowSeven = 0x7f7f7f7f7f7f7f7f
	high8    = 0x8080808080808080
	// toBit7 added to a byte's low seven bits sets bit 7 exactly when they
	// are >= 0x21, without a carry into the next byte.
	toBit7 = 0x5f5f5f5f5f5f5f5f
)

// ctlMask sets bit 7 of every byte of the result whose byte in x is <= ' '
// (spaces, tabs and other control bytes), and no other bit.
func ctlMask(x uint64) uint64 {
	return ^((x & lowSeven) + toBit7 | x) & high8
}

// maxSizeDigits bounds a size field. Eighteen digits cannot overflow an int64,
// so the loop below needs no overflow check; the server itself accepts at most
// nine.
const maxSizeDigits = 18

// parseSize parses a non-negative decimal size. It returns -1 for an empty
// field, a non-digit byte (including a sign) or more than maxSizeDigits
// digits.
func parseSize(b []byte) int {
	if len(b) == 0 || len(b) > maxSizeDigits {
		return -1
	}
	n := 0
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return -1
		}
		n = n*10 + int(d)
	}
	return n
}

// trimSeps drops leading and trailing spaces and tabs.
func trimSeps(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSep(b[i]) {
		i++
	}
	for j > i && isSep(b[j-1]) {
		j--
	}
	return b[i:j:j]
}

// allSeps reports whether b holds only spaces and tabs.
func allSeps(b []byte) bool {
	for _, c := range b {
		if !isSep(c) {
			return false
		}
	}
	return true
}

// hasOpName reports whether line starts with the upper-case name, compared
// without regard to ASCII case, followed by a separator or the line's end.
func hasOpName(line []byte, name string) bool {
	if len(line) < len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if line[i]|0x20 != name[i]|0x20 {
			return false
		}
	}
	return len(line) == len(name) || isSep(line[len(name)])
}

// lower folds an ASCII letter to lower case; '+' and '-' are unchanged by it.
func lower(c byte) byte { return c | 0x20 }

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

func appendUint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

// indexNL finds the end of a control line. bytes.IndexByte is vectorised,
// which is what makes line scanning cheap.
func indexNL(b []byte) int { return bytes.IndexByte(b, '\n') }
