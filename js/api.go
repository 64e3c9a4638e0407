package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/starling-nats/starling/core"
)

// responseTypePrefix starts the "type" of every JetStream API reply.
const responseTypePrefix = "io.nats.jetstream.api.v1."

// apiResponse is the part every API reply shares.
type apiResponse struct {
	Type  string    `json:"type"`
	Error *APIError `json:"error,omitempty"`
}

func (r *apiResponse) envelope() *apiResponse { return r }

type enveloped interface{ envelope() *apiResponse }

// apiRequest sends req (nil: an empty body) to the API subject prefix+subj
// and decodes the reply into resp, whose type must be wantType (the part
// after "io.nats.jetstream.api.v1.").
func (js *JetStream) apiRequest(ctx context.Context, subj string, req any, resp enveloped, wantType string) error {
	var body []byte
	if req != nil {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
	}
	m, err := js.rawRequest(ctx, js.prefix+subj, nil, body)
	if err != nil {
		return err
	}
	return js.decode(m, subj, resp, wantType)
}

// rawRequest sends one request with the context's default timeout and
// maps core's errors to ours.
func (js *JetStream) rawRequest(ctx context.Context, subject string, hdr core.Header, body []byte) (*core.Msg, error) {
	ctx, cancel := js.withTimeout(ctx)
	defer cancel()
	m, err := js.nc.RequestMsg(ctx, &core.Msg{Subject: subject, Header: hdr, Data: body})
	if err != nil {
		if errors.Is(err, core.ErrNoResponders) {
			return nil, fmt.Errorf("%w: %s", ErrNoStreamResponse, subject)
		}
		return nil, err
	}
	return m, nil
}

// decode checks and decodes one API reply. Anything a real server does not
// send (a status, bad JSON, another reply type, a body past the size
// bound) is ErrInvalidResponse or ErrResponseTooLarge, never a panic.
func (js *JetStream) decode(m *core.Msg, subj string, resp enveloped, wantType string) error {
	if st := m.Status(); st != 0 {
		return fmt.Errorf("%w: %s: status %d %s", ErrInvalidResponse, subj, st, m.Description())
	}
	if len(m.Data) > js.opts.maxResponse {
		return fmt.Errorf("%w: %s: %d bytes", ErrResponseTooLarge, subj, len(m.Data))
	}
	if err := json.Unmarshal(m.Data, resp); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidResponse, subj, err)
	}
	env := resp.envelope()
	if env.Error != nil {
		return env.Error
	}
	if env.Type != "" && wantType != "" && env.Type != responseTypePrefix+wantType {
		return fmt.Errorf("%w: %s: reply type %q", ErrInvalidResponse, subj, env.Type)
	}
	return nil
}

// checkName refuses names the API subject cannot carry.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, ".*> \t\r\n") {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// successResponse is the reply of delete-style calls.
type successResponse struct {
	apiResponse
	Success bool `json:"success"`
}

func isErr(err, target error) bool { return errors.Is(err, target) }
