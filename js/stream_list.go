package js

import (
	"context"
	"fmt"
	"iter"
)

type streamListRequest struct {
	Offset  int    `json:"offset,omitempty"`
	Subject string `json:"subject,omitempty"`
}

type streamNamesResponse struct {
	apiResponse
	paged
	Streams []string `json:"streams"`
}

type streamListResponse struct {
	apiResponse
	paged
	Streams []*StreamInfo     `json:"streams"`
	Missing []string          `json:"missing,omitempty"`
	Offline map[string]string `json:"offline,omitempty"`
}

// ListOption narrows StreamNames and Streams.
type ListOption func(*streamListRequest)

// WithStreamSubject lists only the streams that store subject (wildcards
// allowed).
func WithStreamSubject(subject string) ListOption {
	return func(r *streamListRequest) { r.Subject = subject }
}

// StreamNames yields the names of the account's streams, fetching pages
// of up to 1024 names as the loop needs them. An error ends the sequence.
func (js *JetStream) StreamNames(ctx context.Context, opts ...ListOption) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var req streamListRequest
		for _, o := range opts {
			o(&req)
		}
		for {
			var r streamNamesResponse
			if err := js.apiRequest(ctx, "STREAM.NAMES", req, &r, "stream_names_response"); err != nil {
				yield("", err)
				return
			}
			for _, n := range r.Streams {
				if !yield(n, nil) {
					return
				}
			}
			if !nextPage(&req.Offset, r.paged, len(r.Streams)) {
				return
			}
		}
	}
}

// Streams yields the info of the account's streams, fetching pages of up
// to 256 as the loop needs them. Streams the cluster could not reach end
// the sequence with a *MissingStreamsError after the others.
func (js *JetStream) Streams(ctx context.Context, opts ...ListOption) iter.Seq2[*StreamInfo, error] {
	return func(yield func(*StreamInfo, error) bool) {
		var req streamListRequest
		for _, o := range opts {
			o(&req)
		}
		var missing []string
		for {
			var r streamListResponse
			if err := js.apiRequest(ctx, "STREAM.LIST", req, &r, "stream_list_response"); err != nil {
				yield(nil, err)
				return
			}
			for _, si := range r.Streams {
				if !yield(si, nil) {
					return
				}
			}
			missing = append(missing, r.Missing...)
			if !nextPage(&req.Offset, r.paged, len(r.Streams)) {
				break
			}
		}
		if len(missing) > 0 {
			yield(nil, &MissingStreamsError{Names: missing})
		}
	}
}

// nextPage moves offset past a page of n items and reports whether another
// page is due. An empty page ends the walk even if total says otherwise,
// so a server that lies about total cannot loop the client forever.
func nextPage(offset *int, p paged, n int) bool {
	if n == 0 {
		return false
	}
	*offset = p.Offset + n
	return *offset < p.Total
}

// MissingStreamsError names streams a clustered list could not reach.
type MissingStreamsError struct{ Names []string }

func (e *MissingStreamsError) Error() string {
	return fmt.Sprintf("js: %d streams did not answer the list: %v", len(e.Names), e.Names)
}

// StreamNameBySubject returns the name of the stream that stores subject.
func (js *JetStream) StreamNameBySubject(ctx context.Context, subject string) (string, error) {
	var r streamNamesResponse
	if err := js.apiRequest(ctx, "STREAM.NAMES", streamListRequest{Subject: subject}, &r, "stream_names_response"); err != nil {
		return "", err
	}
	if len(r.Streams) != 1 {
		if len(r.Streams) == 0 {
			return "", fmt.Errorf("%w: no stream stores %q", ErrStreamNotFound, subject)
		}
		return "", fmt.Errorf("%w: %d streams store %q", ErrInvalidResponse, len(r.Streams), subject)
	}
	return r.Streams[0], nil
}
