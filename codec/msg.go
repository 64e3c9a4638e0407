package codec

import "slices"

// AppendMsg appends "MSG <subject> <sid> [reply] <#bytes>\r\n<payload>\r\n",
// a message as the server delivers it. An empty reply is left out.
func AppendMsg(dst []byte, subject string, sid uint64, reply string, payload []byte) []byte {
	dst = slices.Grow(dst, len("MSG ")+len(subject)+len(reply)+3+2*maxIntLen+len(payload)+4)
	dst = append(dst, "MSG "...)
	dst = appendSIDReply(dst, subject, sid, reply)
	dst = appendInt(dst, len(payload))
	dst = append(dst, "\r\n"...)
	dst = append(dst, payload...)
	return append(dst, "\r\n"...)
}

// AppendHMsg appends "HMSG <subject> <sid> [reply] <#hdr> <#total>\r\n<header><payload>\r\n".
// header is a complete header block, copied as is. An empty reply is left
// out.
func AppendHMsg(dst []byte, subject string, sid uint64, reply string, header, payload []byte) []byte {
	dst = slices.Grow(dst, len("HMSG ")+len(subject)+len(reply)+4+3*maxIntLen+len(header)+len(payload)+4)
	dst = append(dst, "HMSG "...)
	dst = appendSIDReply(dst, subject, sid, reply)
	dst = appendInt(dst, len(header))
	dst = append(dst, ' ')
	dst = appendInt(dst, len(header)+len(payload))
	dst = append(dst, "\r\n"...)
	dst = append(dst, header...)
	dst = append(dst, payload...)
	return append(dst, "\r\n"...)
}

func appendSIDReply(dst []byte, subject string, sid uint64, reply string) []byte {
	dst = append(dst, subject...)
	dst = append(dst, ' ')
	dst = appendUint(dst, sid)
	dst = append(dst, ' ')
	if reply != "" {
		dst = append(dst, reply...)
		dst = append(dst, ' ')
	}
	return dst
}
