package harness_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// rawConn is a minimal NATS client for the harness's own tests: it reads INFO, sends
// CONNECT, and does plain request/reply. The harness must not depend on a Starling
// client, so its tests speak the protocol by hand.
type rawConn struct {
	c    net.Conn
	r    *bufio.Reader
	info map[string]any
	sid  int
	// reqTimeout bounds a request's wait for its reply (rawTimeout when zero).
	reqTimeout time.Duration
	// partial holds the start of a line whose read timed out, so that a
	// caller that reads again (a retried request) resumes the same line.
	partial string
}

const rawTimeout = 10 * time.Second

type dialOpts struct {
	tls            *tls.Config // upgrade after INFO when the server requires TLS
	handshakeFirst bool        // TLS handshake before INFO
}

// dialRaw connects to addr and reads the server's INFO (upgrading to TLS as asked).
func dialRaw(addr string, o dialOpts) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		return nil, err
	}
	if o.handshakeFirst {
		tc := tls.Client(c, withServerName(o.tls))
		if err := handshake(tc); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	rc := &rawConn{c: c, r: bufio.NewReader(c)}
	info, err := rc.readInfo()
	if err != nil {
		c.Close()
		return nil, err
	}
	rc.info = info
	if req, _ := info["tls_required"].(bool); req && !o.handshakeFirst && o.tls != nil {
		tc := tls.Client(c, withServerName(o.tls))
		if err := handshake(tc); err != nil {
			c.Close()
			return nil, err
		}
		rc.c, rc.r = tc, bufio.NewReader(tc)
	}
	return rc, nil
}

func withServerName(cfg *tls.Config) *tls.Config {
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "127.0.0.1"
	}
	return cfg
}

func handshake(tc *tls.Conn) error {
	tc.SetDeadline(time.Now().Add(rawTimeout))
	defer tc.SetDeadline(time.Time{})
	return tc.Handshake()
}

func (rc *rawConn) Close() error { return rc.c.Close() }

// readLine reads one CRLF-terminated control line without the CRLF.
func (rc *rawConn) readLine(timeout time.Duration) (string, error) {
	rc.c.SetReadDeadline(time.Now().Add(timeout))
	line, err := rc.r.ReadString('\n')
	line = rc.partial + line
	rc.partial = ""
	if err != nil {
		rc.partial = line
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (rc *rawConn) readInfo() (map[string]any, error) {
	line, err := rc.readLine(rawTimeout)
	if err != nil {
		return nil, err
	}
	return parseInfoLine(line)
}

func parseInfoLine(line string) (map[string]any, error) {
	js, ok := strings.CutPrefix(line, "INFO ")
	if !ok {
		return nil, fmt.Errorf("expected INFO, got %q", line)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		return nil, fmt.Errorf("bad INFO %q: %w", line, err)
	}
	return info, nil
}

func (rc *rawConn) write(s string) error {
	rc.c.SetWriteDeadline(time.Now().Add(rawTimeout))
	_, err := io.WriteString(rc.c, s)
	return err
}

// errServer is a -ERR sent by the server.
type errServer struct{ text string }

func (e *errServer) Error() string { return "-ERR " + e.text }

// connect sends CONNECT with fields (verbose off, headers on) and a PING, and waits for
// the PONG; a -ERR comes back as *errServer.
func (rc *rawConn) connect(fields map[string]any) error {
	cf := map[string]any{"verbose": false, "pedantic": false, "headers": true, "protocol": 1, "lang": "harness-test", "version": "0"}
	for k, v := range fields {
		cf[k] = v
	}
	b, err := json.Marshal(cf)
	if err != nil {
		return err
	}
	if err := rc.write("CONNECT " + string(b) + "\r\nPING\r\n"); err != nil {
		return err
	}
	return rc.waitPong(rawTimeout)
}

func (rc *rawConn) ping(timeout time.Duration) error {
	if err := rc.write("PING\r\n"); err != nil {
		return err
	}
	return rc.waitPong(timeout)
}

func (rc *rawConn) waitPong(timeout time.Duration) error {
	for {
		op, _, err := rc.next(timeout)
		if err != nil {
			return err
		}
		if op == "PONG" {
			return nil
		}
	}
}

// next reads one server op: its control line and, for MSG and HMSG, the payload
// (headers included). It answers PING, and turns -ERR into *errServer.
func (rc *rawConn) next(timeout time.Duration) (string, []byte, error) {
	for {
		line, err := rc.readLine(timeout)
		if err != nil {
			return "", nil, err
		}
		verb, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "PING":
			if err := rc.write("PONG\r\n"); err != nil {
				return "", nil, err
			}
		case "-ERR":
			return "", nil, &errServer{strings.Trim(rest, "' ")}
		case "MSG", "HMSG":
			f := strings.Fields(rest)
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				return "", nil, fmt.Errorf("bad %s line %q", verb, line)
			}
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(rc.r, buf); err != nil {
				return "", nil, err
			}
			return line, buf[:n], nil
		default:
			return line, nil, nil
		}
	}
}

// request publishes payload to subject with a fresh inbox as reply subject and returns
// the first reply's payload (a header block, if any, stripped).
func (rc *rawConn) request(subject string, payload []byte) ([]byte, error) {
	return rc.requestHeader(subject, "", payload)
}

// requestHeader is request with a header block (hdr: "NATS/1.0\r\n...\r\n\r\n"),
// sent as HPUB; an empty hdr sends PUB.
func (rc *rawConn) requestHeader(subject, hdr string, payload []byte) ([]byte, error) {
	rc.sid++
	inbox := "_INBOX.harness." + strconv.Itoa(rc.sid)
	msg := fmt.Sprintf("SUB %s %d\r\nUNSUB %d 1\r\nPUB %s %s %d\r\n%s\r\n", inbox, rc.sid, rc.sid, subject, inbox, len(payload), payload)
	if hdr != "" {
		msg = fmt.Sprintf("SUB %s %d\r\nUNSUB %d 1\r\nHPUB %s %s %d %d\r\n%s%s\r\n", inbox, rc.sid, rc.sid, subject, inbox, len(hdr), len(hdr)+len(payload), hdr, payload)
	}
	if err := rc.write(msg); err != nil {
		return nil, err
	}
	timeout := rc.reqTimeout
	if timeout == 0 {
		timeout = rawTimeout
	}
	deadline := time.Now().Add(timeout)
	for {
		op, data, err := rc.next(time.Until(deadline))
		if err != nil {
			return nil, err
		}
		f := strings.Fields(op)
		if len(f) < 3 || f[1] != inbox {
			continue // not ours: a late reply to an earlier request, or another op
		}
		if f[0] == "MSG" {
			return data, nil
		}
		if f[0] == "HMSG" {
			hlen, _ := strconv.Atoi(f[len(f)-2])
			if bytes.Contains(data[:hlen], []byte("503")) {
				return nil, errNoResponders
			}
			return data[hlen:], nil
		}
	}
}

var errNoResponders = errors.New("no responders")

// jsRequest sends a JetStream API request and decodes the reply into out; a reply
// with an "error" member is returned as an error.
func (rc *rawConn) jsRequest(subject string, req any, out any) error {
	var body []byte
	if req != nil {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return err
		}
	}
	data, err := rc.request(subject, body)
	if err != nil {
		return err
	}
	var apiErr struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &apiErr); err != nil {
		return fmt.Errorf("bad JetStream reply %q: %w", data, err)
	}
	if apiErr.Error != nil {
		return fmt.Errorf("jetstream: %d/%d %s", apiErr.Error.Code, apiErr.Error.ErrCode, apiErr.Error.Description)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
