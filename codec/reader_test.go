package codec

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// Protocol-facts §1.1 and §1.2: every server operation, in the forms the
// server's parser accepts.
func TestReaderOps(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"info", "INFO {\"server_id\":\"x\"}\r\n", []string{`INFO text="{\"server_id\":\"x\"}"`}},
		{"info spaces", "INFO \t {} \r\n", []string{`INFO text="{}"`}},
		{"msg", "MSG foo.bar 9 5\r\nhello\r\n", []string{`MSG subject="foo.bar" sid="9" reply=nil payload="hello"`}},
		{"msg reply", "MSG foo 1 _INBOX.a 2\r\nhi\r\n", []string{`MSG subject="foo" sid="1" reply="_INBOX.a" payload="hi"`}},
		{"msg empty", "MSG foo 1 0\r\n\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload=""`}},
		{"msg payload with crlf", "MSG foo 1 4\r\n\r\n\r\n\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload="\r\n\r\n"`}},
		{"msg tabs and runs", "MSG\tfoo  \t 1\t\tbar   3 \t\r\nabc\r\n", []string{`MSG subject="foo" sid="1" reply="bar" payload="abc"`}},
		{"msg lower case", "msg foo 1 1\r\nx\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload="x"`}},
		{"msg mixed case", "mSg foo 1 1\r\nx\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload="x"`}},
		{"msg bare lf", "MSG foo 1 1\nx\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload="x"`}},
		{"msg leading zeros", "MSG foo 1 0003\r\nabc\r\n", []string{`MSG subject="foo" sid="1" reply=nil payload="abc"`}},
		{"msg long subject", "MSG " + strings.Repeat("a.", 100) + "b 77 1\r\nx\r\n",
			[]string{`MSG subject="` + strings.Repeat("a.", 100) + `b" sid="77" reply=nil payload="x"`}},
		{"hmsg", "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
			[]string{`HMSG subject="foo" sid="1" reply=nil header="NATS/1.0\r\n\r\n" payload="hi"`}},
		{"hmsg reply", "HMSG foo 1 r 18 18\r\nNATS/1.0\r\nA: b\r\n\r\n\r\n",
			[]string{`HMSG subject="foo" sid="1" reply="r" header="NATS/1.0\r\nA: b\r\n\r\n" payload=""`}},
		{"hmsg status", "HMSG _INBOX.x 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
			[]string{`HMSG subject="_INBOX.x" sid="2" reply=nil header="NATS/1.0 503\r\n\r\n" payload=""`}},
		{"hmsg garbage header kept", "HMSG foo 1 3 4\r\nabcd\r\n",
			[]string{`HMSG subject="foo" sid="1" reply=nil header="abc" payload="d"`}},
		{"hmsg lower case", "hmsg foo 1 0 1\r\nx\r\n", []string{`HMSG subject="foo" sid="1" reply=nil header="" payload="x"`}},
		{"ping pong", "PING\r\nPONG\r\nping\r\npong\r\nPiNg \t\r\n", []string{"PING", "PONG", "PING", "PONG", "PING"}},
		{"ok", "+OK\r\n+ok\r\n+OK\n", []string{"+OK", "+OK", "+OK"}},
		{"err", "-ERR 'Unknown Protocol Operation'\r\n", []string{`-ERR text="Unknown Protocol Operation"`}},
		{"err inner quotes", `-ERR 'Permissions Violation for Publish to "a'b"'` + "\r\n",
			[]string{`-ERR text="Permissions Violation for Publish to \"a'b\""`}},
		{"err unquoted", "-err  no quotes here \r\n", []string{`-ERR text="no quotes here"`}},
		{"err empty", "-ERR\r\n", []string{`-ERR text=""`}},
		{"sequence", "INFO {}\r\nPING\r\nMSG a 1 1\r\nx\r\nHMSG b 2 12 12\r\nNATS/1.0\r\n\r\n\r\n+OK\r\n-ERR 'x'\r\nPONG\r\n", []string{
			`INFO text="{}"`, "PING", `MSG subject="a" sid="1" reply=nil payload="x"`,
			`HMSG subject="b" sid="2" reply=nil header="NATS/1.0\r\n\r\n" payload=""`, "+OK", `-ERR text="x"`, "PONG",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, strings.NewReader(tt.in), Limits{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			// The same bytes a byte at a time, and split at every boundary.
			got, err = decodeAll(t, iotest.OneByteReader(strings.NewReader(tt.in)), Limits{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "one byte per read")
			for i := 0; i <= len(tt.in); i++ {
				got, err = decodeAll(t, splitReader([]byte(tt.in), i), Limits{})
				require.NoError(t, err)
				require.Equal(t, tt.want, got, "split at %d", i)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	big := strings.Repeat("x", DefaultMaxControlLine)
	tests := []struct {
		name, in string
		limits   Limits
		kind     error
		op       string
		offset   int64
		before   int // ops decoded before the error
	}{
		{"unknown", "FOO bar\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"unknown after ops", "PING\r\nPONG\r\nNOPE\r\n", Limits{}, ErrUnknownOp, "", 12, 2},
		{"empty line", "\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"bare lf line", "PING\r\n\n", Limits{}, ErrUnknownOp, "", 6, 1},
		{"op name prefix", "MSGX foo 1 1\r\nx\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"pingx", "PINGX\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"okay", "+OKAY\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"client op", "PUB foo 1\r\nx\r\n", Limits{}, ErrUnknownOp, "", 0, 0},
		{"ping args", "PING now\r\n", Limits{}, ErrMalformed, "PING", 0, 0},
		{"pong args", "PONG now\r\n", Limits{}, ErrMalformed, "PONG", 0, 0},
		{"ok args", "+OK x\r\n", Limits{}, ErrMalformed, "+OK", 0, 0},
		{"info no json", "INFO  \r\n", Limits{}, ErrMalformed, "INFO", 0, 0},
		{"msg no args", "MSG\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg too few", "MSG foo 1\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg too many", "MSG foo 1 r x 1\r\nx\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg way too many", "MSG a b c d e f g h 1\r\nx\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg negative", "MSG foo 1 -1\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg plus", "MSG foo 1 +1\r\nx\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg not a number", "MSG foo 1 1x\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg overflow", "MSG foo 1 99999999999999999999999\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg 19 digits", "MSG foo 1 0000000000000000001\r\nx\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg too large", "MSG foo 1 1048577\r\n", Limits{}, ErrPayloadTooLarge, "MSG", 0, 0},
		{"msg too large for limit", "MSG foo 1 11\r\nhello world\r\n", Limits{MaxPayload: 10}, ErrPayloadTooLarge, "MSG", 0, 0},
		{"msg bad terminator", "MSG foo 1 5\r\nhelloXX", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg lf terminator", "MSG foo 1 5\r\nhello\nPING\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"msg short payload", "MSG foo 1 5\r\nhell\r\nPING\r\n", Limits{}, ErrMalformed, "MSG", 0, 0},
		{"hmsg too few", "HMSG foo 1 2\r\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"hmsg too many", "HMSG foo 1 r x 2 2\r\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"hmsg header beyond total", "HMSG foo 1 13 12\r\nNATS/1.0\r\n\r\n\r\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"hmsg bad header size", "HMSG foo 1 x 12\r\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"hmsg bad total", "HMSG foo 1 12 -12\r\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"hmsg too large", "HMSG foo 1 12 2000000\r\n", Limits{}, ErrPayloadTooLarge, "HMSG", 0, 0},
		{"hmsg bad terminator", "HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\n\n", Limits{}, ErrMalformed, "HMSG", 0, 0},
		{"line too long", "MSG " + big + " 1 1\r\nx\r\n", Limits{}, ErrControlLineTooLong, "", 0, 0},
		{"line too long unterminated", "MSG " + big, Limits{}, ErrControlLineTooLong, "", 0, 0},
		{"line too long after op", "PING\r\n-ERR '" + big + "'\r\n", Limits{}, ErrControlLineTooLong, "", 6, 1},
		{"ping too long", "PING" + strings.Repeat(" ", 20) + "\r\n", Limits{MaxControlLine: 10}, ErrControlLineTooLong, "", 0, 0},
		{"info too large", "INFO {\"a\":\"" + big + "\"}\r\n", Limits{MaxInfo: 1000}, ErrInfoTooLarge, "INFO", 0, 0},
		{"info too large unterminated", "INFO {" + strings.Repeat("x", 2000), Limits{MaxInfo: 1000}, ErrInfoTooLarge, "INFO", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "one byte"} {
				var src io.Reader = strings.NewReader(tt.in)
				if mode == "one byte" {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, tt.limits)
				for i := 0; i < tt.before; i++ {
					_, err := r.Next()
					require.NoError(t, err, mode)
				}
				op, err := r.Next()
				require.Error(t, err, mode)
				assert.Nil(t, op)
				assert.ErrorIs(t, err, tt.kind, mode)
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe, mode)
				assert.Equal(t, tt.op, pe.Op, mode)
				assert.Equal(t, tt.offset, pe.Offset, mode)
				assert.True(t, strings.HasPrefix(err.Error(), "codec: "), err.Error())
				// Protocol errors are sticky.
				_, err2 := r.Next()
				assert.Same(t, err, err2, mode)
				r.Release()
			}
		})
	}
}

func TestReaderLineLimitBoundary(t *testing.T) {
	const limit = 64
	// A MSG line of exactly limit bytes (without CRLF) passes; one more fails,
	// whether the line arrives whole or a byte at a time.
	line := func(n int) string {
		s := "MSG " + strings.Repeat("s", n-len("MSG  1 1")) + " 1 1"
		require.Len(t, s, n)
		return s + "\r\nx\r\n"
	}
	for _, oneByte := range []bool{false, true} {
		var src io.Reader = strings.NewReader(line(limit))
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		got, err := decodeAll(t, src, Limits{MaxControlLine: limit})
		require.NoError(t, err)
		assert.Len(t, got, 1)

		src = strings.NewReader(line(limit + 1))
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		_, err = decodeAll(t, src, Limits{MaxControlLine: limit})
		assert.ErrorIs(t, err, ErrControlLineTooLong)
	}
	// A bare '\n' ending: the limit is the same.
	got, err := decodeAll(t, strings.NewReader(strings.Replace(line(limit), "\r\n", "\n", 1)), Limits{MaxControlLine: limit})
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestReaderEOF(t *testing.T) {
	r := NewReader(strings.NewReader(""), Limits{})
	defer r.Release()
	_, err := r.Next()
	assert.Equal(t, io.EOF, err)

	for _, in := range []string{"P", "PING", "PING\r", "MSG foo 1 5\r\n", "MSG foo 1 5\r\nhel", "MSG foo 1 5\r\nhello", "MSG foo 1 5\r\nhello\r"} {
		r := NewReader(strings.NewReader(in), Limits{})
		_, err := r.Next()
		assert.Equal(t, io.ErrUnexpectedEOF, err, "%q", in)
		_, err = r.Next()
		assert.Equal(t, io.ErrUnexpectedEOF, err, "%q again", in)
		r.Release()
	}

	// Data and io.EOF in the same Read: the op first, then io.EOF.
	r = NewReader(iotest.DataErrReader(strings.NewReader("PING\r\n")), Limits{})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPing, op.Kind)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
}

func TestReaderSourceErrors(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("PING\r\nMSG a 1 3\r\nab"), iotest.ErrReader(boom)), Limits{})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPing, op.Kind)
	_, err = r.Next()
	assert.Same(t, boom, err)
	assert.Equal(t, len("MSG a 1 3\r\nab"), r.Buffered())

	// A source that never makes progress cannot make Next spin.
	r2 := NewReader(readerFunc(func([]byte) (int, error) { return 0, nil }), Limits{})
	defer r2.Release()
	_, err = r2.Next()
	assert.Equal(t, io.ErrNoProgress, err)

	// A source that returns an impossible count cannot make Next panic.
	for _, n := range []int{-1, 1 << 30} {
		r3 := NewReader(readerFunc(func([]byte) (int, error) { return n, nil }), Limits{})
		_, err = r3.Next()
		assert.ErrorIs(t, err, errInvalidRead)
		r3.Release()
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A MSG that declares more than the limit fails before any buffer of that
// size exists, and before the payload is read.
func TestReaderPayloadLimitBeforeAllocation(t *testing.T) {
	const limit = 64 << 20
	in := "MSG foo 1 " + itoa(limit+1) + "\r\n"
	read := 0
	src := readerFunc(func(p []byte) (int, error) {
		if read >= len(in) {
			t.Fatal("read past the control line")
		}
		n := copy(p, in[read:])
		read += n
		return n, nil
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(src, Limits{MaxPayload: limit})
	_, err := r.Next()
	runtime.ReadMemStats(&after)
	r.Release()
	require.ErrorIs(t, err, ErrPayloadTooLarge)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")
}

// Protocol-facts §1.1: an op split over reads is completed; the buffer grows
// to fit one large op and shrinks back afterwards.
func TestReaderGrowsAndShrinks(t *testing.T) {
	big := bytes.Repeat([]byte("b"), 1<<20)
	var in []byte
	in = AppendMsg(in, "small", 1, "", []byte("a"))
	in = AppendMsg(in, "big", 2, "", big)
	in = AppendMsg(in, "small", 3, "", []byte("c"))
	in = AppendMsg(in, "small", 4, "", []byte("d"))

	r := NewReader(iotest.HalfReader(bytes.NewReader(in)), Limits{MaxPayload: 2 << 20})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "a", string(op.Payload))
	assert.Equal(t, defaultBufSize, len(r.s.buf))

	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, big, op.Payload)
	assert.Equal(t, "2", string(op.SID))
	grown := len(r.s.buf)
	assert.GreaterOrEqual(t, grown, 1<<20+len("MSG big 2 1048576\r\n\r\n"))
	assert.LessOrEqual(t, grown, 2<<20, "grows to the op's size class, not beyond")

	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "c", string(op.Payload))
	assert.Equal(t, defaultBufSize, len(r.s.buf), "shrunk back after the large op")

	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "d", string(op.Payload))
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
}

// Only the unconsumed part of an op is ever moved. A read happens only when
// the op at the read position is incomplete, and the bytes kept before the
// read (copied to the front of the buffer when needed) are exactly the part
// of that op already read: len(buf) - len(p) at every Read.
func TestReaderCopiesOnlyTheOp(t *testing.T) {
	var in []byte
	payload := bytes.Repeat([]byte("p"), 1000)
	for i := range 200 {
		in = AppendMsg(in, "s", uint64(i), "", payload)
	}
	opLen := len(AppendMsg(nil, "s", 199, "", payload))
	chunks := &chunkReader{data: in, sizes: []int{defaultBufSize - 7, 13, 4096, 1, 999}}
	reads := 0
	src := readerFunc(func(p []byte) (int, error) {
		reads++
		kept := defaultBufSize - len(p)
		if kept >= opLen {
			t.Errorf("read %d: %d bytes kept before the read, more than one op (%d)", reads, kept, opLen)
		}
		return chunks.Read(p)
	})
	r := NewReader(src, Limits{})
	defer r.Release()
	for i := range 200 {
		op, err := r.Next()
		require.NoError(t, err)
		sid, ok := ParseSID(op.SID)
		require.True(t, ok)
		require.Equal(t, uint64(i), sid)
		require.Equal(t, payload, op.Payload)
	}
	_, err := r.Next()
	require.Equal(t, io.EOF, err)
	assert.Greater(t, reads, 10) // several buffer refills were checked
}

func TestReaderSetMaxPayload(t *testing.T) {
	in := "MSG a 1 5\r\nhello\r\nMSG a 1 5\r\nhello\r\n"
	r := NewReader(strings.NewReader(in), Limits{})
	defer r.Release()
	_, err := r.Next()
	require.NoError(t, err)
	r.SetMaxPayload(4)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrPayloadTooLarge)

	r.SetMaxPayload(0)
	assert.Equal(t, DefaultMaxPayload, r.maxPayload)
}

func TestReaderResetAndRelease(t *testing.T) {
	r := NewReader(strings.NewReader("FOO\r\n"), Limits{})
	_, err := r.Next()
	require.ErrorIs(t, err, ErrUnknownOp)

	r.Reset(strings.NewReader("PING\r\n"))
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPing, op.Kind)

	r.Release()
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrReleased)
	r.Release() // twice is harmless

	r.Reset(strings.NewReader("PONG\r\n"))
	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPong, op.Kind)
	r.Release()
}

func TestReaderReuseOp(t *testing.T) {
	r := NewReader(strings.NewReader("HMSG a 1 r 12 13\r\nNATS/1.0\r\n\r\nx\r\nINFO {}\r\nMSG b 2 1\r\ny\r\n"), Limits{})
	defer r.Release()
	op1, err := r.Next()
	require.NoError(t, err)
	op2, err := r.Next()
	require.NoError(t, err)
	assert.Same(t, op1, op2, "one Op, reused")
	assert.Nil(t, op2.Header)
	assert.Nil(t, op2.Subject)
	op3, err := r.Next()
	require.NoError(t, err)
	assert.Nil(t, op3.Header, "header of an earlier HMSG cleared")
	assert.Nil(t, op3.Text, "text of an earlier INFO cleared")
	assert.Nil(t, op3.Reply)
	assert.Equal(t, "y", string(op3.Payload))
}

// A caller appending to a returned slice must not overwrite the next op.
func TestReaderSlicesCapped(t *testing.T) {
	r := NewReader(strings.NewReader("MSG a 1 1\r\nx\r\nMSG b 2 1\r\ny\r\n"), Limits{})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	_ = append(op.Payload, "ZZZZZZZZZZ"...)
	_ = append(op.Subject, "ZZZZZZZZZZ"...)
	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, `MSG subject="b" sid="2" reply=nil payload="y"`, op.String())
}

func TestParseSID(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "1": 1, "42": 42, "18446744073709551615": 1<<64 - 1, "007": 7} {
		got, ok := ParseSID([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "+1", "1a", "18446744073709551616", "99999999999999999999", "123456789012345678901"} {
		_, ok := ParseSID([]byte(in))
		assert.False(t, ok, in)
	}
}

func TestOpKindString(t *testing.T) {
	for k, s := range map[OpKind]string{OpInfo: "INFO", OpMsg: "MSG", OpHMsg: "HMSG", OpPing: "PING", OpPong: "PONG",
		OpOK: "+OK", OpErr: "-ERR", OpConnect: "CONNECT", OpPub: "PUB", OpHPub: "HPUB", OpSub: "SUB", OpUnsub: "UNSUB", 0: "OpKind(0)"} {
		assert.Equal(t, s, k.String())
	}
}

func TestLimitsClamp(t *testing.T) {
	l := Limits{MaxControlLine: -1, MaxPayload: 1 << 40, MaxInfo: MaxLimit + 1}.withDefaults()
	assert.Equal(t, Limits{MaxControlLine: DefaultMaxControlLine, MaxPayload: MaxLimit, MaxInfo: MaxLimit}, l)
	r := NewReader(strings.NewReader(""), Limits{})
	defer r.Release()
	r.SetMaxPayload(1 << 50)
	assert.Equal(t, MaxLimit, r.maxPayload)
	// A declared size beyond even the ceiling is refused before any buffer.
	r.Reset(strings.NewReader("MSG a 1 9999999999\r\n"))
	_, err := r.Next()
	assert.ErrorIs(t, err, ErrPayloadTooLarge)
}

// Buffers beyond the pooled classes are sized to the op (rounded to 64 KiB),
// not doubled.
func TestBufferSizes(t *testing.T) {
	assert.Equal(t, 0, sizeClass(1))
	assert.Equal(t, 0, sizeClass(defaultBufSize))
	assert.Equal(t, 1, sizeClass(defaultBufSize+1))
	assert.Equal(t, maxPooledClass, sizeClass(64<<20))
	assert.Len(t, *getBuf(100), defaultBufSize)
	assert.Len(t, *getBuf(100 << 10), 128<<10)
	assert.Len(t, *getBuf(64 << 20), 64<<20)
	assert.Len(t, *getBuf(64<<20 + 1), 64<<20+64<<10)
}

// A size within a (large) limit is still only the peer's word: beyond 2 MiB
// the buffer grows as the bytes arrive, so a declared 60 MiB that never
// comes costs little, and one that does come decodes intact.
func TestReaderGrowsOnlyAsBytesArrive(t *testing.T) {
	const declared = 60 << 20
	in := "MSG big 1 " + itoa(declared) + "\r\n" + strings.Repeat("x", 100)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(strings.NewReader(in), Limits{MaxPayload: 64 << 20})
	_, err := r.Next()
	runtime.ReadMemStats(&after)
	r.Release()
	require.Equal(t, io.ErrUnexpectedEOF, err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(eagerGrow+(1<<20)), "bytes allocated")

	payload := bytes.Repeat([]byte("0123456789abcdef"), (5<<20)/16+3)
	stream := AppendMsg(nil, "big", 2, "r", payload)
	stream = AppendPing(stream)
	r = NewReader(&chunkReader{data: stream, sizes: []int{70000, 1, 1 << 20}}, Limits{MaxPayload: 64 << 20})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, payload, op.Payload)
	assert.Equal(t, "r", string(op.Reply))
	assert.GreaterOrEqual(t, len(r.s.buf), len(payload))
	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPing, op.Kind)
	assert.Equal(t, defaultBufSize, len(r.s.buf))
}
