package codec

// AppendPing appends "PING\r\n".
func AppendPing(dst []byte) []byte { return append(dst, "PING\r\n"...) }

// AppendPong appends "PONG\r\n".
func AppendPong(dst []byte) []byte { return append(dst, "PONG\r\n"...) }

// AppendOK appends "+OK\r\n", the server's acknowledgement in verbose mode.
func AppendOK(dst []byte) []byte { return append(dst, "+OK\r\n"...) }

// AppendErr appends "-ERR '<text>'\r\n", quoting as the server does. text
// must not contain CR or LF; single quotes inside it are sent as they are
// (the server does the same, and Reader keeps them).
func AppendErr(dst []byte, text string) []byte {
	dst = append(dst, "-ERR '"...)
	dst = append(dst, text...)
	return append(dst, "'\r\n"...)
}
