package js

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/starling-nats/starling/core"
)

// Ack payloads (ADR-15).
var (
	ackAck      = []byte("+ACK")
	ackNak      = []byte("-NAK")
	ackProgress = []byte("+WPI")
	ackTerm     = []byte("+TERM")
)

// Errors of message acknowledgement.
var (
	// ErrMsgAlreadyAcked: a terminal ack was already sent for this
	// message; nothing was sent.
	ErrMsgAlreadyAcked = errors.New("js: message already acknowledged")
	// ErrNotJSMessage: the message has no consumer ack subject (it was not
	// delivered by a consumer, or its consumer acks nothing).
	ErrNotJSMessage = errors.New("js: not a jetstream consumer message")
)

// appendNakDelay appends "-NAK {"delay":<ns>}".
func appendNakDelay(dst []byte, d time.Duration) []byte {
	dst = append(dst, `-NAK {"delay":`...)
	dst = strconv.AppendInt(dst, int64(d), 10)
	return append(dst, '}')
}

// appendTerm appends "+TERM <reason>".
func appendTerm(dst []byte, reason string) []byte {
	dst = append(dst, ackTerm...)
	if reason != "" {
		dst = append(dst, ' ')
		dst = append(dst, reason...)
	}
	return dst
}

// ack sends payload to m's ack subject; terminal acks happen once.
func (m *Msg) ack(payload []byte, terminal bool) error {
	if len(m.Reply) < len(ackPrefix) || m.Reply[:len(ackPrefix)] != ackPrefix || m.nc == nil {
		return ErrNotJSMessage
	}
	if terminal {
		if m.acked.Swap(true) {
			return ErrMsgAlreadyAcked
		}
	} else if m.acked.Load() {
		return ErrMsgAlreadyAcked
	}
	return m.nc.PublishRequest(m.Reply, "", payload)
}

// Ack acknowledges the message.
func (m *Msg) Ack() error { return m.ack(ackAck, true) }

// Nak asks for redelivery now.
func (m *Msg) Nak() error { return m.ack(ackNak, true) }

// NakWithDelay asks for redelivery after d.
func (m *Msg) NakWithDelay(d time.Duration) error {
	var buf [48]byte
	return m.ack(appendNakDelay(buf[:0], d), true)
}

// InProgress resets the ack wait: the message is being worked on. It may
// be sent any number of times before a terminal ack.
func (m *Msg) InProgress() error { return m.ack(ackProgress, false) }

// Term stops redelivery of the message.
func (m *Msg) Term() error { return m.ack(ackTerm, true) }

// TermWithReason stops redelivery and tells the server why (it shows in
// the terminated advisory).
func (m *Msg) TermWithReason(reason string) error {
	return m.ack(appendTerm(make([]byte, 0, len(ackTerm)+1+len(reason)), reason), true)
}

// DoubleAck acknowledges the message and waits until the server confirms
// it processed the ack, or ctx ends. A failed wait leaves the message
// marked acked: the ack may have been applied.
func (m *Msg) DoubleAck(ctx context.Context) error {
	if len(m.Reply) < len(ackPrefix) || m.Reply[:len(ackPrefix)] != ackPrefix || m.nc == nil {
		return ErrNotJSMessage
	}
	if m.acked.Swap(true) {
		return ErrMsgAlreadyAcked
	}
	return doubleAck(ctx, m.nc, m.Reply)
}

func doubleAck(ctx context.Context, nc Conn, reply string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	_, err := nc.RequestMsg(ctx, &core.Msg{Subject: reply, Data: ackAck})
	if errors.Is(err, core.ErrNoResponders) {
		return ErrConsumerNotFound
	}
	return err
}

// ack sends payload for a borrowed message; it must run during the
// handler.
func (m *BorrowedMsg) ack(payload []byte, terminal bool) error {
	if len(m.Reply) < len(ackPrefix) || string(m.Reply[:len(ackPrefix)]) != ackPrefix || m.bm == nil {
		return ErrNotJSMessage
	}
	if m.acked {
		return ErrMsgAlreadyAcked
	}
	if terminal {
		m.acked = true
	}
	return m.bm.Respond(payload)
}

// Ack acknowledges the message.
func (m *BorrowedMsg) Ack() error { return m.ack(ackAck, true) }

// Nak asks for redelivery now.
func (m *BorrowedMsg) Nak() error { return m.ack(ackNak, true) }

// NakWithDelay asks for redelivery after d.
func (m *BorrowedMsg) NakWithDelay(d time.Duration) error {
	var buf [48]byte
	return m.ack(appendNakDelay(buf[:0], d), true)
}

// InProgress resets the ack wait.
func (m *BorrowedMsg) InProgress() error { return m.ack(ackProgress, false) }

// Term stops redelivery of the message.
func (m *BorrowedMsg) Term() error { return m.ack(ackTerm, true) }

// TermWithReason stops redelivery and tells the server why.
func (m *BorrowedMsg) TermWithReason(reason string) error {
	var buf [128]byte
	return m.ack(appendTerm(buf[:0], reason), true)
}

// A BorrowedMsg has no DoubleAck: its handler runs on the connection's
// reader, which would have to read the confirmation it waits for. Copy the
// message and call DoubleAck on the copy from another goroutine.
