package codec

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// String renders the op as one line of text, for logs, test failures and the transcript
// golden files: its kind and its fields quoted, nil and empty slices told apart, and
// payloads over 1 KiB summarised by length and CRC-32. It allocates; keep it off hot paths.
func (op *Op) String() string {
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

// String renders the op as Op.String does.
func (op *ClientOp) String() string {
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
