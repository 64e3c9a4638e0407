package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/transport"
)

// Version is this client's version, sent in CONNECT.
const Version = "0.1.0"

// lang is sent in CONNECT; the server's monitoring shows it.
const lang = "go"

// tlsSettings builds the TLS settings the options ask for, or nil.
func tlsSettings(o *options) (*transport.TLSSettings, error) {
	t := &o.tls
	var opts []transport.TLSOption
	if t.config != nil {
		opts = append(opts, transport.WithTLSConfig(t.config))
	}
	if t.rootCAs != nil {
		opts = append(opts, transport.WithRootCAs(t.rootCAs))
	}
	if len(t.rootCAFiles) > 0 {
		opts = append(opts, transport.WithRootCAFiles(t.rootCAFiles...))
	}
	if t.certFile != "" {
		opts = append(opts, transport.WithClientCertFiles(t.certFile, t.keyFile))
	}
	if t.getClientCert != nil {
		opts = append(opts, transport.WithClientCertFunc(t.getClientCert))
	}
	if t.handshakeFirst {
		opts = append(opts, transport.WithHandshakeFirst())
	}
	s, err := transport.NewTLSSettings(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	return s, nil
}

// defaultDialer is transport's dialer with the TLS and WebSocket options.
func defaultDialer(o *options, ts *transport.TLSSettings) transport.Dialer {
	return transport.NewDialer(transport.WithTLS(ts), transport.WithWebSocket(webSocketOptions(o)...))
}

// handshake opens one session on srv: dial, INFO, TLS if asked, CONNECT,
// PING, and the PONG that says the server accepted us. Everything is bounded
// by the connect timeout and by ctx.
func (c *Conn) handshake(parent context.Context, srv *poolServer) (*session, error) {
	// ErrTimeout is the cause when the connect timeout ends the attempt,
	// so handshakeConn names our own timer, not the caller's deadline.
	ctx, cancel := context.WithTimeoutCause(parent, c.opts.timing.connectTimeout, ErrTimeout)
	defer cancel()
	// Whose deadline ends the attempt: the caller's, or the connect timeout.
	pd, callerDeadline := parent.Deadline()
	if dl, ok := ctx.Deadline(); ok && callerDeadline {
		callerDeadline = !pd.After(dl)
	}
	sess, err := c.handshakeConn(ctx, srv)
	if err != nil {
		// The socket's deadline may fire a moment before ctx's timer, so a
		// timeout shows as either; name whose time ran out. The connect
		// timeout is the Conn's own timer: ErrTimeout, as documented.
		if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			switch {
			case parent.Err() != nil:
				err = wrapOnce(err, parent.Err())
			case callerDeadline:
				err = wrapOnce(err, context.DeadlineExceeded)
			case errors.Is(err, context.DeadlineExceeded):
				// Our own timer, and the caller's context had time left:
				// nothing may match context.DeadlineExceeded (a dialer or
				// TLS handshake under the timed context may have wrapped
				// it), so only the text of the failure is kept.
				err = fmt.Errorf("%w after %v: %s", ErrTimeout, c.opts.timing.connectTimeout, err.Error())
			default:
				err = wrapOnce(err, ErrTimeout)
			}
		}
		return nil, &ConnectError{Server: srv.url, Err: err}
	}
	return sess, nil
}

func (c *Conn) handshakeConn(ctx context.Context, srv *poolServer) (_ *session, err error) {
	conn, err := c.opts.dialer.Dial(ctx, srv.addr)
	if err != nil {
		return nil, err
	}
	// A cancelled context (Close during connect, the timeout) closes the
	// socket, which ends whatever read or write is waiting.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	var r *codec.Reader
	defer func() {
		stop()
		if err != nil {
			err = tlsRejection(conn, err)
			if r != nil {
				r.Release()
			}
			_ = conn.Close()
			if ctx.Err() != nil {
				// The cause says whose time ran out (see handshake).
				err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
			}
		}
	}()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	r = codec.NewReader(conn, c.readLimits())
	info, err := readInfo(r)
	if err != nil {
		return nil, err
	}
	// Refused before any credentials go out. Publish checks sizes against
	// max_payload and the reader enforces it on MSG: a server that gives
	// none would leave the two sides disagreeing.
	if info.MaxPayload <= 0 {
		return nil, fmt.Errorf("%w: max_payload %d", ErrInvalidServerInfo, info.MaxPayload)
	}
	_, secured := transport.TLSConnectionState(conn)
	upgrade, err := transport.DecideTLS(transport.TLSFacts{
		Secured:         secured,
		WebSocket:       srv.addr.IsWebSocket(),
		AddrWantsTLS:    srv.addr.WantsTLS(),
		OptionsWantTLS:  c.opts.tls.want,
		ServerRequires:  info.TLSRequired,
		ServerAvailable: info.TLSAvailable,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLSRequired, err)
	}
	if upgrade {
		r.Release()
		r = nil
		tc, err := transport.UpgradeTLS(ctx, conn, c.tls.Config(srv.addr.TLSServerName()))
		if err != nil {
			return nil, err
		}
		conn = tc
		r = codec.NewReader(conn, c.readLimits())
	}
	if info.MaxPayload > 0 {
		r.SetMaxPayload(info.MaxPayload)
	}

	// A server without headers closes a client that asks for no_responders
	// (it needs headers), so both follow INFO.
	co := codec.ConnectOptions{
		Verbose:      false,
		Pedantic:     false,
		TLSRequired:  c.opts.tls.want || srv.addr.WantsTLS(),
		Name:         c.opts.name,
		Lang:         lang,
		Version:      Version,
		Protocol:     1,
		Echo:         !c.opts.noEcho,
		Headers:      info.Headers,
		NoResponders: info.Headers,
	}
	if c.opts.noEcho && info.Proto < 1 {
		return nil, ErrNoEchoNotSupported
	}
	if err := c.fillAuth(&co, info, srv); err != nil {
		return nil, err
	}
	buf := codec.AppendConnect(nil, &co)
	buf = codec.AppendPing(buf)
	_, err = conn.Write(buf)
	wipe(buf) // it may hold a password or token
	if err != nil {
		return nil, err
	}
	if err := awaitPong(r, conn, &info); err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	s := &session{conn: conn, reader: r, server: srv}
	s.info.Store(info)
	return s, nil
}

// wrapOnce adds cause to err's chain unless it is there already.
func wrapOnce(err, cause error) error {
	if errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, cause)
}

// tlsRejection types a TLS server's refusal that arrived after the
// handshake: under TLS 1.3 the alert for a missing or refused client
// certificate comes with the first read, not from the handshake. It is the
// same failure, and gets the same *transport.TLSError that TLS 1.2 gives.
func tlsRejection(conn transport.Conn, err error) error {
	st, ok := transport.TLSConnectionState(conn)
	if !ok {
		return err
	}
	if te := transport.TLSErrorFrom(err, st.ServerName); te != nil {
		return te
	}
	return err
}

// readInfo reads the server's first op, which must be INFO.
func readInfo(r *codec.Reader) (*codec.ServerInfo, error) {
	op, err := r.Next()
	if err != nil {
		return nil, err
	}
	switch op.Kind {
	case codec.OpInfo:
		return codec.ParseInfo(op.Text)
	case codec.OpErr:
		return nil, parseServerError(string(op.Text))
	}
	// Whatever else comes first, the server is not speaking NATS to us.
	return nil, &codec.ProtocolError{Op: op.Kind.String(), Reason: "expected INFO as the server's first operation", Kind: codec.ErrUnknownOp}
}

// awaitPong reads until the PONG answering CONNECT's PING. A -ERR means the
// server refused us; an INFO (the server may send one at any time) updates
// info.
func awaitPong(r *codec.Reader, conn transport.Conn, info **codec.ServerInfo) error {
	for {
		op, err := r.Next()
		if err != nil {
			return err
		}
		switch op.Kind {
		case codec.OpPong:
			return nil
		case codec.OpErr:
			return parseServerError(string(op.Text))
		case codec.OpInfo:
			if ni, err := codec.ParseInfo(op.Text); err == nil {
				if ni.MaxPayload <= 0 {
					ni.MaxPayload = (*info).MaxPayload // the limit in force stays
				}
				*info = ni
			}
		case codec.OpPing:
			if _, err := conn.Write(codec.AppendPong(nil)); err != nil {
				return err
			}
		}
	}
}

// readLimits bounds what the reader accepts from the server. A MSG line
// carries what a publisher's PUB line carried (at most max_control_line)
// plus "MSG ", the sid and the sizes, so the line limit gets room for those.
func (c *Conn) readLimits() codec.Limits {
	return codec.Limits{MaxControlLine: c.opts.maxControlLine + 128}
}
