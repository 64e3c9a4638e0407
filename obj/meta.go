package obj

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// InfoOption changes GetInfo.
type InfoOption func(*infoOpts)

type infoOpts struct{ showDeleted bool }

// ShowDeleted makes GetInfo return a deleted object's info (Deleted set)
// instead of ErrObjectNotFound. Default: deleted objects are not found.
func ShowDeleted() InfoOption { return func(o *infoOpts) { o.showDeleted = true } }

// GetInfo reads an object's info from its meta message. A missing or
// deleted object is ErrObjectNotFound unless ShowDeleted is given. Links
// are returned as they are, not followed.
func (s *Store) GetInfo(ctx context.Context, name string, opts ...InfoOption) (*Info, error) {
	var o infoOpts
	for _, opt := range opts {
		opt(&o)
	}
	info, err := s.readInfo(ctx, name, s.direct)
	if err != nil {
		return nil, err
	}
	if info.Deleted && !o.showDeleted {
		return nil, fmt.Errorf("%w: %s (deleted)", ErrObjectNotFound, name)
	}
	return info, nil
}

// readInfo reads the last meta message of name, deleted or not. direct
// reads any replica (no read-after-write); write paths read the leader so
// they see the version they replace.
func (s *Store) readInfo(ctx context.Context, name string, direct bool) (*Info, error) {
	info, _, err := s.readInfoSeq(ctx, name, direct)
	return info, err
}

// readInfoSeq is readInfo with the meta message's stream sequence, which
// a writer expects to replace (see publishMeta).
func (s *Store) readInfoSeq(ctx context.Context, name string, direct bool) (*Info, uint64, error) {
	if err := checkObjectName(name); err != nil {
		return nil, 0, err
	}
	subj := metaSubject(s.bucket, name)
	var m *js.StoredMsg
	var err error
	if direct {
		m, err = s.js.DirectGetLast(ctx, s.stream, subj)
	} else {
		m, err = s.js.GetLastMsg(ctx, s.stream, subj)
	}
	if errors.Is(err, js.ErrMsgNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", ErrObjectNotFound, name)
	}
	if err != nil {
		return nil, 0, storeErr(s.bucket, err)
	}
	info, err := decodeInfo(m.Data, m.Time)
	return info, m.Sequence, err
}

// publishMeta stores info as the only message on its meta subject
// (Nats-Rollup: sub drops the earlier versions).
func (s *Store) publishMeta(ctx context.Context, info *Info, opts ...js.PubOption) error {
	data, err := encodeInfo(info)
	if err != nil {
		return err
	}
	h := core.Header{}
	h.Set("Nats-Rollup", "sub")
	_, err = s.js.PublishMsg(ctx, &core.Msg{Subject: metaSubject(s.bucket, info.Name), Header: h, Data: data}, opts...)
	return err
}

// metaRetries bounds how often a writer that lost a race for a meta
// subject re-reads it and tries again.
const metaRetries = 5

// replaceMeta publishes info only over the meta version at seq (0: none),
// so two writers racing for one name cannot both believe they replaced
// the same version: the loser re-reads and replaces the winner's instead.
// It returns the version it replaced (nil when there was none), whose
// chunks are now the caller's to purge.
func (s *Store) replaceMeta(ctx context.Context, info *Info, old *Info, seq uint64) (*Info, error) {
	for attempt := 0; ; attempt++ {
		err := s.publishMeta(ctx, info, js.ExpectLastSubjectSequence(seq))
		if err == nil {
			return old, nil
		}
		if !errors.Is(err, js.ErrWrongLastSequence) || attempt == metaRetries {
			return nil, err
		}
		old, seq, err = s.readInfoSeq(ctx, info.Name, false)
		if errors.Is(err, ErrObjectNotFound) {
			old, seq = nil, 0
		} else if err != nil {
			return nil, err
		}
	}
}

// purgeChunks drops one object's chunks. It runs after the caller's
// context may have ended (a failed put cleans up), so it gets its own
// bounded one.
func (s *Store) purgeChunks(ctx context.Context, nuid string) error {
	if nuid == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, err := s.js.PurgeStream(ctx, s.stream, js.PurgeFilter(chunkSubject(s.bucket, nuid)))
	return err
}

// cleanupTimeout bounds the purges and consumer deletes that run after a
// failure or a Close, when the caller's context may be gone.
const cleanupTimeout = 5 * time.Second

// Delete marks an object deleted (its meta stays, with Deleted set, size 0
// and no digest, so watchers see the delete) and purges its chunks. A
// missing or already deleted object is ErrObjectNotFound.
func (s *Store) Delete(ctx context.Context, name string) error {
	info, seq, err := s.readInfoSeq(ctx, name, false)
	if err != nil {
		return err
	}
	if info.Deleted {
		return fmt.Errorf("%w: %s (deleted)", ErrObjectNotFound, name)
	}
	del := *info
	del.Deleted = true
	del.Size, del.Chunks, del.Digest = 0, 0, ""
	replaced, err := s.replaceMeta(ctx, &del, info, seq)
	if err != nil {
		return err
	}
	if replaced == nil || replaced.Deleted || replaced.IsLink() {
		return nil
	}
	return s.purgeChunks(ctx, replaced.NUID)
}

// UpdateMeta changes an object's name, description, headers and
// metadata; its bytes, digest and options stay. Renaming onto a live
// object is ErrObjectExists; updating a deleted one is
// ErrUpdateMetaDeleted. After a rename the old name reads as deleted.
func (s *Store) UpdateMeta(ctx context.Context, name string, meta Meta) error {
	if err := checkObjectName(meta.Name); err != nil {
		return err
	}
	info, err := s.readInfo(ctx, name, false)
	if err != nil {
		return err
	}
	if info.Deleted {
		return fmt.Errorf("%w: %s", ErrUpdateMetaDeleted, name)
	}
	renamed := meta.Name != name
	if renamed {
		other, err := s.readInfo(ctx, meta.Name, false)
		switch {
		case err == nil && !other.Deleted:
			return fmt.Errorf("%w: %s", ErrObjectExists, meta.Name)
		case err != nil && !errors.Is(err, ErrObjectNotFound):
			return err
		}
	}
	info.Name, info.Description, info.Headers, info.Metadata = meta.Name, meta.Description, meta.Headers, meta.Metadata
	if err := s.publishMeta(ctx, info); err != nil {
		return err
	}
	if !renamed {
		return nil
	}
	// The old name becomes a deleted marker; the chunks now belong to
	// the new name and stay.
	old := *info
	old.Name = name
	old.Deleted = true
	old.Size, old.Chunks, old.Digest = 0, 0, ""
	return s.publishMeta(ctx, &old)
}

// AddLink stores name as a link to the object target of another (or the
// same) store. Errors: ErrNoLinkToDeleted, ErrNoLinkToLink, and
// ErrObjectExists when name is a live object that is not a link.
func (s *Store) AddLink(ctx context.Context, name string, target *Info) (*Info, error) {
	if target == nil || target.Name == "" || target.Bucket == "" {
		return nil, fmt.Errorf("%w: link target needs a bucket and a name", ErrInvalidObjectName)
	}
	if target.Deleted {
		return nil, ErrNoLinkToDeleted
	}
	if target.IsLink() {
		return nil, ErrNoLinkToLink
	}
	return s.addLink(ctx, name, &Link{Bucket: target.Bucket, Name: target.Name})
}

// AddBucketLink stores name as a link to the whole store target.
func (s *Store) AddBucketLink(ctx context.Context, name string, target *Store) (*Info, error) {
	if target == nil {
		return nil, fmt.Errorf("%w: nil target store", ErrInvalidStoreName)
	}
	return s.addLink(ctx, name, &Link{Bucket: target.bucket})
}

func (s *Store) addLink(ctx context.Context, name string, link *Link) (*Info, error) {
	if err := checkObjectName(name); err != nil {
		return nil, err
	}
	cur, err := s.readInfo(ctx, name, false)
	switch {
	case err == nil && !cur.Deleted && !cur.IsLink():
		return nil, fmt.Errorf("%w: %s", ErrObjectExists, name)
	case err != nil && !errors.Is(err, ErrObjectNotFound):
		return nil, err
	}
	info := &Info{
		Meta:    Meta{Name: name, Options: &MetaOptions{Link: link}},
		Bucket:  s.bucket,
		NUID:    newNUID(),
		ModTime: time.Now().UTC(),
	}
	if err := s.publishMeta(ctx, info); err != nil {
		return nil, err
	}
	return info, nil
}
