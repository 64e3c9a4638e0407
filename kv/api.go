package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// request sends one request with js.DefaultTimeout when ctx has no
// deadline. js keeps its own request path unexported; kv needs raw
// replies (direct get) and the two consumer calls a watch makes, so it
// talks to the connection js uses, with js's prefix and error types.
func (b *Bucket) request(ctx context.Context, m *core.Msg) (*core.Msg, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, js.DefaultTimeout)
		defer cancel()
	}
	r, err := b.nc.RequestMsg(ctx, m)
	if err != nil {
		if errors.Is(err, core.ErrNoResponders) {
			return nil, fmt.Errorf("%w: %s", js.ErrNoStreamResponse, m.Subject)
		}
		return nil, err
	}
	return r, nil
}

// apiCall sends body as JSON to the API subject api+subj and decodes the
// reply into resp, returning the server's *js.APIError when it sent one.
func (b *Bucket) apiCall(ctx context.Context, subj string, body any, resp any, apiErr **js.APIError) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
	}
	r, err := b.request(ctx, &core.Msg{Subject: b.api + subj, Data: data})
	if err != nil {
		return err
	}
	if st := r.Status(); st != 0 {
		return fmt.Errorf("%w: %s: status %d %s", js.ErrInvalidResponse, subj, st, r.Description())
	}
	if len(r.Data) > js.DefaultMaxResponseSize {
		return fmt.Errorf("%w: %s: %d bytes", js.ErrResponseTooLarge, subj, len(r.Data))
	}
	if err := json.Unmarshal(r.Data, resp); err != nil {
		return fmt.Errorf("%w: %s: %v", js.ErrInvalidResponse, subj, err)
	}
	if *apiErr != nil {
		return *apiErr
	}
	return nil
}
