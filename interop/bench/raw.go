package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The raw socket is the ceiling of perf.md: protocol bytes encoded once,
// before any run, written in 64 KiB batches; and a reader that only counts
// "MSG " occurrences. No client can do less work per message, so what it
// reaches through this server is the most any client can.

// rawBatch is the size of one write.
const rawBatch = 64 << 10

var (
	tagMsg  = []byte("MSG ") // also ends "HMSG "
	tagPong = []byte("PONG\r\n")
)

// rawDial connects, sends CONNECT, the ops in extra (SUBs), and a PING, and
// returns once the PONG arrived, with whatever the server sent after it.
func rawDial(e *env, name, extra string) (net.Conn, []byte, error) {
	addr := strings.TrimPrefix(e.url, "nats://")
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	hello := `CONNECT {"verbose":false,"pedantic":false,"lang":"raw","version":"0","protocol":1,"headers":true,"name":"` +
		name + `"}` + "\r\n" + extra + "PING\r\n"
	if _, err := conn.Write([]byte(hello)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if i := bytes.Index(got, tagPong); i >= 0 {
			_ = conn.SetDeadline(time.Time{})
			return conn, got[i+len(tagPong):], nil
		}
		if bytes.HasPrefix(got, []byte("-ERR")) {
			err = errors.New(strings.TrimSpace(string(got)))
		}
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("raw handshake: %w", err)
		}
	}
}

// rawOps holds whole PUB (or HPUB) ops, as many as fit 64 KiB (at least
// one), encoded once.
type rawOps struct {
	batch    []byte
	opLen    int
	perBatch int64
}

func newRawOps(subject string, size int, header bool) rawOps {
	var op []byte
	data := payload(size)
	if header {
		op = fmt.Appendf(op, "HPUB %s %d %d\r\n", subject, len(benchHeaderBlock), len(benchHeaderBlock)+size)
		op = append(op, benchHeaderBlock...)
	} else {
		op = fmt.Appendf(op, "PUB %s %d\r\n", subject, size)
	}
	op = append(append(op, data...), "\r\n"...)
	per := max(rawBatch/len(op), 1)
	return rawOps{batch: bytes.Repeat(op, per), opLen: len(op), perBatch: int64(per)}
}

// write sends n ops in writes of at most 64 KiB.
func (o *rawOps) write(conn net.Conn, n int64) error {
	for n > 0 {
		k := min(n, o.perBatch)
		b := o.batch[:int(k)*o.opLen]
		for len(b) > 0 {
			w := min(len(b), rawBatch)
			if _, err := conn.Write(b[:w]); err != nil {
				return err
			}
			b = b[w:]
		}
		n -= k
	}
	return nil
}

// rawPub publishes pre-encoded ops, then a PING, and waits for the PONG.
type rawPub struct {
	inMsgsCheck
	conn net.Conn
	ops  rawOps
	rd   []byte
}

func openRawPub(size int) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		conn, _, err := rawDial(e, "bench-raw-pub", "")
		if err != nil {
			return nil, err
		}
		return &rawPub{inMsgsCheck: inMsgsCheck{e: e}, conn: conn, ops: newRawOps(subject, size, false), rd: make([]byte, 4096)}, nil
	}
}

func (p *rawPub) run(ctx context.Context, n int64) (outcome, error) {
	if err := p.ops.write(p.conn, n); err != nil {
		return outcome{}, err
	}
	if _, err := p.conn.Write([]byte("PING\r\n")); err != nil {
		return outcome{}, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = p.conn.SetReadDeadline(dl)
	}
	// The PONG may come in pieces; keep the tail of the last read.
	keep := 0
	for {
		k, err := p.conn.Read(p.rd[keep:])
		end := keep + k
		if bytes.Contains(p.rd[:end], tagPong) {
			return outcome{done: n}, nil
		}
		if err != nil {
			return outcome{}, err
		}
		keep = copy(p.rd, p.rd[max(end-len(tagPong)+1, 0):end])
	}
}

func (p *rawPub) close() { p.conn.Close() }

// rawPubSub writes pre-encoded ops on one connection while a reader
// goroutine counts "MSG " on another, subscribed one.
type rawPubSub struct {
	pub, sub net.Conn
	ops      rawOps
	cnt      *counter
	stall    time.Duration
	wg       sync.WaitGroup
}

func openRawPubSub(size int, header bool) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		sub, rest, err := rawDial(e, "bench-raw-sub", "SUB "+subject+" 1\r\n")
		if err != nil {
			return nil, err
		}
		pub, _, err := rawDial(e, "bench-raw-pub", "")
		if err != nil {
			sub.Close()
			return nil, err
		}
		p := &rawPubSub{pub: pub, sub: sub, ops: newRawOps(subject, size, header), cnt: newCounter(), stall: e.cfg.stall}
		p.cnt.add(int64(bytes.Count(rest, tagMsg)))
		p.wg.Add(1)
		go p.count()
		return p, nil
	}
}

// count reads until the connection closes, counting "MSG " (which also
// ends "HMSG "). The last three bytes of each read are kept in front of the
// next, so an occurrence split between reads is counted once.
func (p *rawPubSub) count() {
	defer p.wg.Done()
	buf := make([]byte, len(tagMsg)-1+rawBatch)
	keep := 0
	for {
		n, err := p.sub.Read(buf[keep:])
		if n > 0 {
			end := keep + n
			p.cnt.add(int64(bytes.Count(buf[:end], tagMsg)))
			keep = copy(buf, buf[max(end-len(tagMsg)+1, 0):end])
		}
		if err != nil {
			return
		}
	}
}

func (p *rawPubSub) run(ctx context.Context, n int64) (outcome, error) {
	p.cnt.reset(n)
	if err := p.ops.write(p.pub, n); err != nil {
		return outcome{}, err
	}
	got := p.cnt.wait(ctx, n, p.stall)
	out := outcome{done: min(got, n), lost: max(n-got, 0)}
	if out.lost > 0 {
		out.note = "the raw reader counted " + strconv.FormatInt(got, 10)
	}
	return out, nil
}

func (p *rawPubSub) close() {
	p.pub.Close()
	p.sub.Close()
	p.wg.Wait()
}
