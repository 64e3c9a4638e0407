package codec

import "slices"

// Encoders append one operation to dst and return the extended slice, like
// strconv.AppendInt. They never fail and never validate: check subjects,
// queues and headers once with the Valid functions, off the hot path. They
// allocate only when dst must grow, so a caller that reuses its buffer
// encodes without allocating.

// maxIntLen is the longest decimal int64 or uint64.
const maxIntLen = 20

// AppendPub appends "PUB <subject> [reply] <#bytes>\r\n<payload>\r\n". An
// empty reply is left out.
func AppendPub(dst []byte, subject, reply string, payload []byte) []byte {
	dst = slices.Grow(dst, len("PUB ")+len(subject)+len(reply)+2+maxIntLen+len(payload)+4)
	dst = append(dst, "PUB "...)
	dst = appendSubjectReply(dst, subject, reply)
	dst = appendInt(dst, len(payload))
	dst = append(dst, "\r\n"...)
	dst = append(dst, payload...)
	return append(dst, "\r\n"...)
}

// AppendHPub appends "HPUB <subject> [reply] <#hdr> <#total>\r\n<header><payload>\r\n".
// header is a complete header block ("NATS/1.0\r\n...\r\n\r\n", as written by
// Header.Append); it is copied as is. An empty reply is left out.
func AppendHPub(dst []byte, subject, reply string, header, payload []byte) []byte {
	dst = slices.Grow(dst, len("HPUB ")+len(subject)+len(reply)+3+2*maxIntLen+len(header)+len(payload)+4)
	dst = append(dst, "HPUB "...)
	dst = appendSubjectReply(dst, subject, reply)
	dst = appendInt(dst, len(header))
	dst = append(dst, ' ')
	dst = appendInt(dst, len(header)+len(payload))
	dst = append(dst, "\r\n"...)
	dst = append(dst, header...)
	dst = append(dst, payload...)
	return append(dst, "\r\n"...)
}

// appendSubjectReply appends "<subject> " and, when reply is not empty,
// "<reply> ".
func appendSubjectReply(dst []byte, subject, reply string) []byte {
	dst = append(dst, subject...)
	dst = append(dst, ' ')
	if reply != "" {
		dst = append(dst, reply...)
		dst = append(dst, ' ')
	}
	return dst
}
