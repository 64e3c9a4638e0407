package codec

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Protocol-facts §1.2: every client operation, as the server's parser accepts
// it.
func TestClientReaderOps(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"connect", "CONNECT {\"verbose\":false}\r\n", []string{`CONNECT text="{\"verbose\":false}"`}},
		{"connect lower", "connect {}\n", []string{`CONNECT text="{}"`}},
		{"pub", "PUB foo 5\r\nhello\r\n", []string{`PUB subject="foo" reply=nil payload="hello"`}},
		{"pub reply", "pub foo bar 0\r\n\r\n", []string{`PUB subject="foo" reply="bar" payload=""`}},
		{"pub tabs", "PUB\tfoo \t bar\t2\t\r\nhi\r\n", []string{`PUB subject="foo" reply="bar" payload="hi"`}},
		{"hpub", "HPUB orders.new 24 29\r\nNATS/1.0\r\nTrace: abc\r\n\r\nhello\r\n",
			[]string{`HPUB subject="orders.new" reply=nil header="NATS/1.0\r\nTrace: abc\r\n\r\n" payload="hello"`}},
		{"hpub reply", "HPUB a r 12 12\r\nNATS/1.0\r\n\r\n\r\n", []string{`HPUB subject="a" reply="r" header="NATS/1.0\r\n\r\n" payload=""`}},
		{"sub", "SUB foo.* 1\r\n", []string{`SUB subject="foo.*" queue=nil sid="1"`}},
		{"sub queue", "sub foo.> q 22\r\n", []string{`SUB subject="foo.>" queue="q" sid="22"`}},
		{"unsub", "UNSUB 1\r\n", []string{`UNSUB sid="1" max=0`}},
		{"unsub max", "unsub 1 10\r\n", []string{`UNSUB sid="1" max=10`}},
		{"ping pong", "PING\r\nPONG\r\nping\npong \r\n", []string{"PING", "PONG", "PING", "PONG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAllClient(t, strings.NewReader(tt.in), Limits{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			got, err = decodeAllClient(t, iotest.OneByteReader(strings.NewReader(tt.in)), Limits{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "one byte per read")
			for i := 0; i <= len(tt.in); i++ {
				got, err = decodeAllClient(t, splitReader([]byte(tt.in), i), Limits{})
				require.NoError(t, err)
				require.Equal(t, tt.want, got, "split at %d", i)
			}
		})
	}
}

func TestClientReaderErrors(t *testing.T) {
	big := strings.Repeat("x", DefaultMaxControlLine)
	tests := []struct {
		name, in string
		limits   Limits
		kind     error
		op       string
		offset   int64
	}{
		{"unknown", "MSG foo 1 1\r\nx\r\n", Limits{}, ErrUnknownOp, "", 0},
		{"info is not a client op", "INFO {}\r\n", Limits{}, ErrUnknownOp, "", 0},
		{"empty", "\r\n", Limits{}, ErrUnknownOp, "", 0},
		{"connect no json", "CONNECT\r\n", Limits{}, ErrMalformed, "CONNECT", 0},
		{"connect too long", "CONNECT {\"jwt\":\"" + big + "\"}\r\n", Limits{}, ErrControlLineTooLong, "", 0},
		{"connect too long unterminated", "CONNECT {" + big, Limits{}, ErrControlLineTooLong, "", 0},
		{"pub too few", "PUB foo\r\n", Limits{}, ErrMalformed, "PUB", 0},
		{"pub too many", "PUB a b c 1\r\nx\r\n", Limits{}, ErrMalformed, "PUB", 0},
		{"pub negative", "PUB a -1\r\n", Limits{}, ErrMalformed, "PUB", 0},
		{"pub too large", "PUB a 11\r\n", Limits{MaxPayload: 10}, ErrPayloadTooLarge, "PUB", 0},
		{"pub bad terminator", "PUB a 1\r\nxy\r\n", Limits{}, ErrMalformed, "PUB", 0},
		{"hpub too few", "HPUB a 1\r\n", Limits{}, ErrMalformed, "HPUB", 0},
		{"hpub too many", "HPUB a b c 1 1\r\n", Limits{}, ErrMalformed, "HPUB", 0},
		{"hpub header beyond total", "HPUB a 5 4\r\n", Limits{}, ErrMalformed, "HPUB", 0},
		{"hpub too large", "HPUB a 1 2000000\r\n", Limits{}, ErrPayloadTooLarge, "HPUB", 0},
		{"hpub bad terminator", "HPUB a 0 1\r\nxyz", Limits{}, ErrMalformed, "HPUB", 0},
		{"sub too few", "SUB foo\r\n", Limits{}, ErrMalformed, "SUB", 0},
		{"sub too many", "SUB a b c d\r\n", Limits{}, ErrMalformed, "SUB", 0},
		{"unsub none", "UNSUB\r\n", Limits{}, ErrMalformed, "UNSUB", 0},
		{"unsub too many", "UNSUB 1 2 3\r\n", Limits{}, ErrMalformed, "UNSUB", 0},
		{"unsub bad max", "UNSUB 1 -2\r\n", Limits{}, ErrMalformed, "UNSUB", 0},
		{"ping args", "PING\r\nPING x\r\n", Limits{}, ErrMalformed, "PING", 6},
		{"pong args", "PONG x\r\n", Limits{}, ErrMalformed, "PONG", 0},
		{"subx", "SUBX a 1\r\n", Limits{}, ErrUnknownOp, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := NewClientReader(src, tt.limits)
				var err error
				for err == nil {
					_, err = r.Next()
				}
				assert.ErrorIs(t, err, tt.kind)
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.op, pe.Op)
				assert.Equal(t, tt.offset, pe.Offset)
				_, err2 := r.Next()
				assert.Same(t, err, err2)
				r.Release()
			}
		})
	}
}

func TestClientReaderLifecycle(t *testing.T) {
	r := NewClientReader(strings.NewReader("PUB a 1\r\nx\r\nPUB a 5\r\nhello\r\n"), Limits{})
	_, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, len("PUB a 5\r\nhello\r\n"), r.Buffered())
	r.SetMaxPayload(4)
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrPayloadTooLarge)
	r.SetMaxPayload(0)
	assert.Equal(t, DefaultMaxPayload, r.maxPayload)

	r.Reset(strings.NewReader("PING\r\n"))
	op, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, OpPing, op.Kind)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
	r.Release()
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrReleased)

	r = NewClientReader(strings.NewReader("HPUB a 12 13\r\nNATS/1.0\r\n\r\nx\r\nPUB b 1\r\ny\r\n"), Limits{})
	defer r.Release()
	op, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "NATS/1.0\r\n\r\n", string(op.HeaderView()))
	op, err = r.Next()
	require.NoError(t, err)
	assert.Nil(t, op.Header)
}
