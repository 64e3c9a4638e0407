package kv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// WriteOption qualifies Create, Delete and Purge.
type WriteOption func(*writeOpts) error

type writeOpts struct {
	ttl         time.Duration
	lastRev     uint64
	haveLastRev bool
}

// KeyTTL makes the entry expire after d (at least a second): the value of
// Create, or the marker of Purge. The bucket needs LimitMarkerTTL (else
// js.ErrTTLDisabled from the server). Default: the bucket's TTL.
func KeyTTL(d time.Duration) WriteOption {
	return func(o *writeOpts) error {
		if d < time.Second {
			return fmt.Errorf("%w: key ttl %v below 1s", ErrInvalidOption, d)
		}
		o.ttl = d
		return nil
	}
}

// LastRevision makes Delete or Purge fail with ErrWrongRevision unless the
// key's latest revision is rev. Default: no check.
func LastRevision(rev uint64) WriteOption {
	return func(o *writeOpts) error {
		o.lastRev, o.haveLastRev = rev, true
		return nil
	}
}

func writeOptions(op string, opts []WriteOption, ttlOK, revOK bool) (writeOpts, error) {
	var o writeOpts
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.ttl > 0 && !ttlOK {
		return o, fmt.Errorf("%w: %s takes no ttl", ErrInvalidOption, op)
	}
	if o.haveLastRev && !revOK {
		return o, fmt.Errorf("%w: %s takes no last revision", ErrInvalidOption, op)
	}
	return o, nil
}

// Put stores value as key's latest value and returns its revision.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	ack, err := b.js.Publish(ctx, b.putPrefix+key, value)
	if err != nil {
		return 0, bucketNotFound(err)
	}
	return ack.Sequence, nil
}

// Create stores value only if key has no live value (never written,
// deleted or purged) and returns its revision; otherwise ErrKeyExists.
// With KeyTTL the value expires on its own.
func (b *Bucket) Create(ctx context.Context, key string, value []byte, opts ...WriteOption) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	o, err := writeOptions("create", opts, true, false)
	if err != nil {
		return 0, err
	}
	rev, err := b.update(ctx, key, value, 0, o.ttl)
	if err == nil || !errors.Is(err, ErrWrongRevision) {
		return rev, err
	}
	// The key has an entry: a marker may be written over, a value not.
	// The marker's revision makes the retry a compare-and-set, so a value
	// written meanwhile still wins.
	e, gerr := b.Get(ctx, key)
	var de *DeletedError
	switch {
	case errors.As(gerr, &de):
		return b.update(ctx, key, value, de.Revision, o.ttl)
	case gerr == nil:
		return 0, fmt.Errorf("%w: %s at revision %d", ErrKeyExists, key, e.Revision)
	case errors.Is(gerr, ErrKeyNotFound):
		// The entry that refused us is gone (expired); try once more.
		rev, err := b.update(ctx, key, value, 0, o.ttl)
		if errors.Is(err, ErrWrongRevision) {
			return 0, fmt.Errorf("%w: %s", ErrKeyExists, key)
		}
		return rev, err
	default:
		return 0, gerr
	}
}

// Update stores value only if key's latest revision is revision
// (compare-and-set) and returns the new revision; otherwise
// ErrWrongRevision.
func (b *Bucket) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	return b.update(ctx, key, value, revision, 0)
}

func (b *Bucket) update(ctx context.Context, key string, value []byte, revision uint64, ttl time.Duration) (uint64, error) {
	m := core.Msg{Subject: b.putPrefix + key, Data: value}
	var ack *js.PubAck
	var err error
	if ttl > 0 {
		ack, err = b.js.PublishMsg(ctx, &m, js.ExpectLastSubjectSequence(revision), js.TTL(ttl))
	} else {
		ack, err = b.js.PublishMsg(ctx, &m, js.ExpectLastSubjectSequence(revision))
	}
	if err != nil {
		return 0, wrongRevision(bucketNotFound(err))
	}
	return ack.Sequence, nil
}

// Delete writes a delete marker for key: Get then reports it deleted,
// History keeps the earlier values. With LastRevision it is a
// compare-and-set.
func (b *Bucket) Delete(ctx context.Context, key string, opts ...WriteOption) error {
	if err := checkKey(key); err != nil {
		return err
	}
	o, err := writeOptions("delete", opts, false, true)
	if err != nil {
		return err
	}
	return b.marker(ctx, key, core.Header{headerOperation: {opDel}}, o)
}

// Purge writes a purge marker for key and removes every earlier value of
// it. With LastRevision it is a compare-and-set; with KeyTTL the marker
// itself expires.
func (b *Bucket) Purge(ctx context.Context, key string, opts ...WriteOption) error {
	if err := checkKey(key); err != nil {
		return err
	}
	o, err := writeOptions("purge", opts, true, true)
	if err != nil {
		return err
	}
	return b.marker(ctx, key, core.Header{headerOperation: {opPurge}, headerRollup: {"sub"}}, o)
}

func (b *Bucket) marker(ctx context.Context, key string, h core.Header, o writeOpts) error {
	popts := make([]js.PubOption, 0, 2)
	if o.haveLastRev {
		popts = append(popts, js.ExpectLastSubjectSequence(o.lastRev))
	}
	if o.ttl > 0 {
		popts = append(popts, js.TTL(o.ttl))
	}
	_, err := b.js.PublishMsg(ctx, &core.Msg{Subject: b.putPrefix + key, Header: h}, popts...)
	if err != nil {
		return wrongRevision(bucketNotFound(err))
	}
	return nil
}
