package js

import (
	"context"
	"errors"
	"fmt"
)

type streamInfoResponse struct {
	apiResponse
	StreamInfo
	DidCreate bool `json:"did_create,omitempty"`
	paged
}

// paged is the paging part of list replies and of stream info with
// subjects.
type paged struct {
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// CreateStream creates a stream. An existing stream with the same config is
// returned as is; one with a different config is ErrStreamNameInUse.
func (js *JetStream) CreateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	if err := js.checkStreamConfig(ctx, &cfg); err != nil {
		return nil, err
	}
	var r streamInfoResponse
	if err := js.apiRequest(ctx, "STREAM.CREATE."+cfg.Name, cfg, &r, "stream_create_response"); err != nil {
		return nil, err
	}
	return &r.StreamInfo, nil
}

// UpdateStream changes a stream's config. A missing stream is
// ErrStreamNotFound.
func (js *JetStream) UpdateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	if err := js.checkStreamConfig(ctx, &cfg); err != nil {
		return nil, err
	}
	var r streamInfoResponse
	if err := js.apiRequest(ctx, "STREAM.UPDATE."+cfg.Name, cfg, &r, "stream_update_response"); err != nil {
		return nil, err
	}
	return &r.StreamInfo, nil
}

// CreateOrUpdateStream updates the stream, creating it if it is missing.
func (js *JetStream) CreateOrUpdateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	si, err := js.UpdateStream(ctx, cfg)
	if err == nil || !errors.Is(err, ErrStreamNotFound) {
		return si, err
	}
	return js.CreateStream(ctx, cfg)
}

// checkStreamConfig validates the name and refuses features the server's
// API level lacks, before anything is sent.
func (js *JetStream) checkStreamConfig(ctx context.Context, cfg *StreamConfig) error {
	if err := checkName(cfg.Name); err != nil {
		return err
	}
	need, feature := 0, ""
	req := func(l int, f string) {
		if l > need {
			need, feature = l, f
		}
	}
	if cfg.AllowMsgTTL || cfg.SubjectDeleteMarkerTTL > 0 {
		req(levelTTL, "per-message ttl")
	}
	if cfg.AllowMsgCounter {
		req(levelCounter, "counters")
	}
	if cfg.AllowAtomicPublish {
		req(levelAtomic, "atomic batch publish")
	}
	if cfg.AllowMsgSchedules {
		req(levelSchedule, "message schedules")
	}
	if cfg.PersistMode == PersistAsync {
		req(2, "async persist mode")
	}
	if cfg.AllowBatchPublish {
		req(4, "fast batch publish")
	}
	if need == 0 {
		return nil
	}
	return js.requireLevel(ctx, feature, need)
}

// DeleteStream deletes a stream and its messages.
func (js *JetStream) DeleteStream(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	var r successResponse
	if err := js.apiRequest(ctx, "STREAM.DELETE."+name, nil, &r, "stream_delete_response"); err != nil {
		return err
	}
	if !r.Success {
		return fmt.Errorf("%w: delete of %q not confirmed", ErrInvalidResponse, name)
	}
	return nil
}

// InfoOption asks StreamInfo for more than config and state.
type InfoOption func(*streamInfoRequest)

type streamInfoRequest struct {
	DeletedDetails bool   `json:"deleted_details,omitempty"`
	SubjectsFilter string `json:"subjects_filter,omitempty"`
	Offset         int    `json:"offset,omitempty"`
}

// WithSubjectsFilter fills State.Subjects with the message count of every
// subject matching filter (">" for all), fetching every page.
func WithSubjectsFilter(filter string) InfoOption {
	return func(r *streamInfoRequest) { r.SubjectsFilter = filter }
}

// WithDeletedDetails fills State.Deleted with the deleted sequences.
func WithDeletedDetails() InfoOption {
	return func(r *streamInfoRequest) { r.DeletedDetails = true }
}

// StreamInfo returns a stream's config and state. With WithSubjectsFilter
// it fetches every page of subjects the server splits the reply into.
func (js *JetStream) StreamInfo(ctx context.Context, name string, opts ...InfoOption) (*StreamInfo, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	var req streamInfoRequest
	for _, o := range opts {
		o(&req)
	}
	var info *StreamInfo
	var subjects map[string]uint64
	for {
		var body any
		if req != (streamInfoRequest{}) {
			body = req
		}
		var r streamInfoResponse
		if err := js.apiRequest(ctx, "STREAM.INFO."+name, body, &r, "stream_info_response"); err != nil {
			return nil, err
		}
		if info == nil {
			info = &r.StreamInfo
		}
		if req.SubjectsFilter == "" {
			return info, nil
		}
		if subjects == nil {
			subjects = make(map[string]uint64, len(r.State.Subjects))
		}
		for s, n := range r.State.Subjects {
			subjects[s] = n
		}
		got := len(r.State.Subjects)
		// A page with nothing new, or the last one, ends the walk; a
		// reply with no limit is unpaged.
		if got == 0 || r.Limit == 0 || r.Offset+got >= r.Total {
			break
		}
		req.Offset = r.Offset + got
	}
	info.State.Subjects = subjects
	return info, nil
}

// SealStream seals a stream: no more writes, deletes or purges.
func (js *JetStream) SealStream(ctx context.Context, name string) (*StreamInfo, error) {
	si, err := js.StreamInfo(ctx, name)
	if err != nil {
		return nil, err
	}
	cfg := si.Config
	cfg.Sealed = true
	return js.UpdateStream(ctx, cfg)
}
