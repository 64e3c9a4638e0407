package js

import (
	"context"
	"fmt"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// StoredMsg is a message read from a stream by GetMsg or DirectGet.
type StoredMsg struct {
	Stream   string
	Subject  string
	Sequence uint64
	Time     time.Time
	Header   core.Header
	Data     []byte
}

// PurgeOption narrows PurgeStream.
type PurgeOption func(*purgeRequest)

type purgeRequest struct {
	Filter   string `json:"filter,omitempty"`
	Sequence uint64 `json:"seq,omitempty"`
	Keep     uint64 `json:"keep,omitempty"`
}

// PurgeFilter purges only subjects matching filter.
func PurgeFilter(filter string) PurgeOption {
	return func(r *purgeRequest) { r.Filter = filter }
}

// PurgeSequence purges the messages below seq (exclusive). Not with
// PurgeKeep.
func PurgeSequence(seq uint64) PurgeOption {
	return func(r *purgeRequest) { r.Sequence = seq }
}

// PurgeKeep keeps the newest n messages (per filter). Not with
// PurgeSequence.
func PurgeKeep(n uint64) PurgeOption {
	return func(r *purgeRequest) { r.Keep = n }
}

type purgeResponse struct {
	apiResponse
	Success bool   `json:"success"`
	Purged  uint64 `json:"purged"`
}

// PurgeStream removes messages from a stream (all without options) and
// returns how many it removed.
func (js *JetStream) PurgeStream(ctx context.Context, name string, opts ...PurgeOption) (uint64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	var req purgeRequest
	for _, o := range opts {
		o(&req)
	}
	if req.Sequence > 0 && req.Keep > 0 {
		return 0, fmt.Errorf("%w: purge sequence and keep together", ErrInvalidOption)
	}
	var body any
	if req != (purgeRequest{}) {
		body = req
	}
	var r purgeResponse
	if err := js.apiRequest(ctx, "STREAM.PURGE."+name, body, &r, "stream_purge_response"); err != nil {
		return 0, err
	}
	if !r.Success {
		return 0, fmt.Errorf("%w: purge of %q not confirmed", ErrInvalidResponse, name)
	}
	return r.Purged, nil
}

type msgGetRequest struct {
	Sequence uint64 `json:"seq,omitempty"`
	LastFor  string `json:"last_by_subj,omitempty"`
	NextFor  string `json:"next_by_subj,omitempty"`
}

type msgGetResponse struct {
	apiResponse
	Message *struct {
		Subject  string    `json:"subject"`
		Sequence uint64    `json:"seq"`
		Header   []byte    `json:"hdrs,omitempty"`
		Data     []byte    `json:"data,omitempty"`
		Time     time.Time `json:"time"`
	} `json:"message"`
}

// GetMsg reads the message at seq from the stream leader (read after
// write). A missing message is ErrMsgNotFound.
func (js *JetStream) GetMsg(ctx context.Context, stream string, seq uint64) (*StoredMsg, error) {
	return js.getMsg(ctx, stream, msgGetRequest{Sequence: seq})
}

// GetLastMsg reads the last message stored on subject (wildcards allowed)
// from the stream leader.
func (js *JetStream) GetLastMsg(ctx context.Context, stream, subject string) (*StoredMsg, error) {
	return js.getMsg(ctx, stream, msgGetRequest{LastFor: subject})
}

// GetNextMsg reads the first message on subject at or after seq from the
// stream leader.
func (js *JetStream) GetNextMsg(ctx context.Context, stream, subject string, seq uint64) (*StoredMsg, error) {
	return js.getMsg(ctx, stream, msgGetRequest{NextFor: subject, Sequence: seq})
}

func (js *JetStream) getMsg(ctx context.Context, stream string, req msgGetRequest) (*StoredMsg, error) {
	if err := checkName(stream); err != nil {
		return nil, err
	}
	var r msgGetResponse
	if err := js.apiRequest(ctx, "STREAM.MSG.GET."+stream, req, &r, "stream_msg_get_response"); err != nil {
		return nil, err
	}
	if r.Message == nil {
		return nil, fmt.Errorf("%w: message get without a message", ErrInvalidResponse)
	}
	m := &StoredMsg{Stream: stream, Subject: r.Message.Subject, Sequence: r.Message.Sequence, Time: r.Message.Time, Data: r.Message.Data}
	if len(r.Message.Header) > 0 {
		h, err := codec.ParseHeader(r.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("%w: stored headers: %v", ErrInvalidResponse, err)
		}
		m.Header = h
	}
	return m, nil
}

type msgDeleteRequest struct {
	Sequence uint64 `json:"seq"`
	NoErase  bool   `json:"no_erase,omitempty"`
}

// DeleteMsg removes the message at seq, marking it deleted without
// overwriting its bytes (fast). SecureDeleteMsg overwrites them.
func (js *JetStream) DeleteMsg(ctx context.Context, stream string, seq uint64) error {
	return js.deleteMsg(ctx, stream, msgDeleteRequest{Sequence: seq, NoErase: true})
}

// SecureDeleteMsg removes the message at seq and overwrites its stored
// bytes.
func (js *JetStream) SecureDeleteMsg(ctx context.Context, stream string, seq uint64) error {
	return js.deleteMsg(ctx, stream, msgDeleteRequest{Sequence: seq})
}

func (js *JetStream) deleteMsg(ctx context.Context, stream string, req msgDeleteRequest) error {
	if err := checkName(stream); err != nil {
		return err
	}
	var r successResponse
	if err := js.apiRequest(ctx, "STREAM.MSG.DELETE."+stream, req, &r, "stream_msg_delete_response"); err != nil {
		return err
	}
	if !r.Success {
		return fmt.Errorf("%w: delete of %s/%d not confirmed", ErrInvalidResponse, stream, req.Sequence)
	}
	return nil
}
