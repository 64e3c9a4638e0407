package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/starling-nats/starling/core"
)

// summary is err as one line a person reads: a failed connect names the
// server and the innermost cause ("cannot connect to nats://127.0.0.1:1:
// connection refused"), not every layer that passed it on.
func summary(err error) string {
	var failed []string
	walk(err, func(e error) bool {
		var ce *core.ConnectError
		if errors.As(e, &ce) && e == error(ce) {
			why := cause(ce.Err)
			switch {
			case errors.Is(ce.Err, io.EOF), errors.Is(ce.Err, io.ErrUnexpectedEOF):
				// What a handshake_first server does to a client that
				// waits for its INFO, once its TLS timeout passes.
				why = "the server hung up during the handshake (if it wants TLS first, add --tlsfirst)"
			case errors.Is(ce.Err, core.ErrTimeout), errors.Is(ce.Err, context.DeadlineExceeded), errors.Is(ce.Err, os.ErrDeadlineExceeded):
				why = "no answer within --timeout (if the server wants TLS first, add --tlsfirst)"
			}
			failed = append(failed, ce.Server+": "+why)
			return false
		}
		return true
	})
	if len(failed) > 0 {
		return "cannot connect to " + strings.Join(failed, "; ")
	}
	// A multi-line message (a server's log, errors joined) is cut to its
	// first line: --trace shows the rest.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimPrefix(msg, "core: ")
}

// cause is the innermost error of a chain of single wraps, without the
// package prefix: "connection refused" rather than "dial tcp ...: connect:
// connection refused". Where a layer joins several, it keeps that layer.
func cause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg := err.Error()
	for _, p := range []string{"core: ", "transport: ", "codec: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// walk calls f on err and, while f returns true, on every error it wraps,
// depth first (errors.Join and fmt.Errorf with several %w included).
func walk(err error, f func(error) bool) {
	if err == nil || !f(err) {
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	}
}

// chain lists err and every error it wraps, for --trace.
func chain(err error) []error {
	var all []error
	walk(err, func(e error) bool { all = append(all, e); return true })
	return all
}
