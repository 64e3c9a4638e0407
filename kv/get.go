package kv

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// Get returns the key's latest value. A key never written is
// ErrKeyNotFound; a key whose latest entry is a delete or purge marker is
// a *DeletedError, which matches ErrKeyDeleted and ErrKeyNotFound.
//
// Get reads with a direct get any replica may answer (the key travels in
// the request subject, the body is empty), so a Get right after a Put on
// another connection may see the previous value; buckets without direct
// get are read from the stream leader.
func (b *Bucket) Get(ctx context.Context, key string) (*Entry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var e *Entry
	var err error
	if b.directPrefix != "" {
		e, err = b.directGet(ctx, key, &core.Msg{Subject: b.directPrefix + key})
	} else {
		sm, gerr := b.js.GetLastMsg(ctx, b.stream, b.keyPrefix+key)
		e, err = b.leaderGet(key, sm, gerr)
	}
	if err != nil {
		return nil, err
	}
	return e, deleted(e)
}

// GetRevision returns the entry of key at revision. A revision that is
// not the key's (another key's, or removed) is ErrKeyNotFound; a marker
// is a *DeletedError.
func (b *Bucket) GetRevision(ctx context.Context, key string, revision uint64) (*Entry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if revision == 0 {
		return nil, fmt.Errorf("%w: revision 0", ErrKeyNotFound)
	}
	var e *Entry
	var err error
	if b.directPrefix != "" {
		body := strconv.AppendUint([]byte(`{"seq":`), revision, 10)
		body = append(body, '}')
		e, err = b.directGet(ctx, key, &core.Msg{Subject: b.api + "DIRECT.GET." + b.stream, Data: body})
	} else {
		sm, gerr := b.js.GetMsg(ctx, b.stream, revision)
		e, err = b.leaderGet(key, sm, gerr)
	}
	if err != nil {
		return nil, err
	}
	return e, deleted(e)
}

func deleted(e *Entry) error {
	if e.Operation == OpPut {
		return nil
	}
	return &DeletedError{Key: e.Key, Revision: e.Revision, Op: e.Operation}
}

// directGet sends a direct get and decodes its raw reply.
func (b *Bucket) directGet(ctx context.Context, key string, req *core.Msg) (*Entry, error) {
	m, err := b.request(ctx, req)
	if err != nil {
		return nil, bucketNotFound(err)
	}
	switch st := m.Status(); st {
	case 0:
	case codec.StatusNotFound:
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, key)
	default:
		return nil, fmt.Errorf("%w: direct get status %d %s", ErrInvalidResponse, st, m.Description())
	}
	h := m.Header
	if subj := h.Get(headerSubject); len(subj) != len(b.keyPrefix)+len(key) ||
		subj[:len(b.keyPrefix)] != b.keyPrefix || subj[len(b.keyPrefix):] != key {
		if subj == "" {
			return nil, fmt.Errorf("%w: direct get reply without %s", ErrInvalidResponse, headerSubject)
		}
		// GetRevision of a revision another key holds.
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, key)
	}
	seq, err := strconv.ParseUint(h.Get(headerSequence), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: direct get reply %s %q", ErrInvalidResponse, headerSequence, h.Get(headerSequence))
	}
	t, ok := parseTimeStamp(h.Get(headerTimeStamp))
	if !ok {
		return nil, fmt.Errorf("%w: direct get reply %s %q", ErrInvalidResponse, headerTimeStamp, h.Get(headerTimeStamp))
	}
	reason := h.Get(headerMarkerReason)
	return &Entry{
		Bucket:       b.name,
		Key:          key,
		Value:        m.Data,
		Revision:     seq,
		Created:      t,
		Operation:    operation(h.Get(headerOperation), reason),
		MarkerReason: reason,
	}, nil
}

// leaderGet turns a STREAM.MSG.GET reply into an entry.
func (b *Bucket) leaderGet(key string, sm *js.StoredMsg, err error) (*Entry, error) {
	if err != nil {
		if errors.Is(err, js.ErrMsgNotFound) {
			return nil, &joined{ErrKeyNotFound, err}
		}
		return nil, bucketNotFound(err)
	}
	if sm.Subject != b.keyPrefix+key {
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, key)
	}
	reason := sm.Header.Get(headerMarkerReason)
	return &Entry{
		Bucket:       b.name,
		Key:          key,
		Value:        sm.Data,
		Revision:     sm.Sequence,
		Created:      sm.Time,
		Operation:    operation(sm.Header.Get(headerOperation), reason),
		MarkerReason: reason,
	}, nil
}
