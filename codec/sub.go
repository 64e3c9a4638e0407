package codec

import "slices"

// AppendSub appends "SUB <subject> [queue] <sid>\r\n". An empty queue is left
// out.
func AppendSub(dst []byte, subject, queue string, sid uint64) []byte {
	dst = slices.Grow(dst, len("SUB ")+len(subject)+len(queue)+2+maxIntLen+2)
	dst = append(dst, "SUB "...)
	dst = appendSubjectReply(dst, subject, queue)
	dst = appendUint(dst, sid)
	return append(dst, "\r\n"...)
}

// AppendUnsub appends "UNSUB <sid> [max]\r\n". With max > 0 the server
// unsubscribes after delivering that many messages in total; max <= 0 means
// now.
func AppendUnsub(dst []byte, sid uint64, max int) []byte {
	dst = slices.Grow(dst, len("UNSUB ")+2*maxIntLen+3)
	dst = append(dst, "UNSUB "...)
	dst = appendUint(dst, sid)
	if max > 0 {
		dst = append(dst, ' ')
		dst = appendInt(dst, max)
	}
	return append(dst, "\r\n"...)
}
