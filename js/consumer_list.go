package js

import (
	"context"
	"iter"
)

type consumerListRequest struct {
	Offset int `json:"offset,omitempty"`
}

type consumerNamesResponse struct {
	apiResponse
	paged
	Consumers []string `json:"consumers"`
}

type consumerListResponse struct {
	apiResponse
	paged
	Consumers []*ConsumerInfo `json:"consumers"`
	Missing   []string        `json:"missing,omitempty"`
}

// ConsumerNames yields the names of stream's consumers, fetching pages as
// the loop needs them. An error ends the sequence.
func (js *JetStream) ConsumerNames(ctx context.Context, stream string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := checkName(stream); err != nil {
			yield("", err)
			return
		}
		var req consumerListRequest
		for {
			var r consumerNamesResponse
			if err := js.apiRequest(ctx, "CONSUMER.NAMES."+stream, req, &r, "consumer_names_response"); err != nil {
				yield("", err)
				return
			}
			for _, n := range r.Consumers {
				if !yield(n, nil) {
					return
				}
			}
			if !nextPage(&req.Offset, r.paged, len(r.Consumers)) {
				return
			}
		}
	}
}

// Consumers yields the info of stream's consumers, fetching pages as the
// loop needs them. Consumers a cluster could not reach end the sequence
// with a *MissingStreamsError naming them.
func (js *JetStream) Consumers(ctx context.Context, stream string) iter.Seq2[*ConsumerInfo, error] {
	return func(yield func(*ConsumerInfo, error) bool) {
		if err := checkName(stream); err != nil {
			yield(nil, err)
			return
		}
		var req consumerListRequest
		var missing []string
		for {
			var r consumerListResponse
			if err := js.apiRequest(ctx, "CONSUMER.LIST."+stream, req, &r, "consumer_list_response"); err != nil {
				yield(nil, err)
				return
			}
			for _, ci := range r.Consumers {
				if !yield(ci, nil) {
					return
				}
			}
			missing = append(missing, r.Missing...)
			if !nextPage(&req.Offset, r.paged, len(r.Consumers)) {
				break
			}
		}
		if len(missing) > 0 {
			yield(nil, &MissingStreamsError{Names: missing})
		}
	}
}
