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
	if err := checkObjectName(name); err != nil {
		return nil, err
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
		return nil, fmt.Errorf("%w: %s", ErrObjectNotFound, name)
	}
	if err != nil {
		return nil, storeErr(s.bucket, err)
	}
	return decodeInfo(m.Data, m.Time)
}

// publishMeta stores info as the only message on its meta subject
// (Nats-Rollup: sub drops the earlier versions).
func (s *Store) publishMeta(ctx context.Context, info *Info) error {
	data, err := encodeInfo(info)
	if err != nil {
		return err
	}
	h := core.Header{}
	h.Set("Nats-Rollup", "sub")
	_, err = s.js.PublishMsg(ctx, &core.Msg{Subject: metaSubject(s.bucket, info.Name), Header: h, Data: data})
	return err
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
	info, err := s.readInfo(ctx, name, false)
	if err != nil {
		return err
	}
	if info.Deleted {
		return fmt.Errorf("%w: %s (deleted)", ErrObjectNotFound, name)
	}
	nuid := info.NUID
	info.Deleted = true
	info.Size, info.Chunks, info.Digest = 0, 0, ""
	if err := s.publishMeta(ctx, info); err != nil {
		return err
	}
	if info.IsLink() {
		return nil
	}
	return s.purgeChunks(ctx, nuid)
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
