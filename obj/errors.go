package obj

import "errors"

// Errors the object store reports. Server refusals come through as
// *js.APIError and still match the js sentinels (js.ErrStreamSealed, ...).
var (
	// ErrInvalidStoreName: a bucket name is empty or holds a character
	// outside [A-Za-z0-9_-].
	ErrInvalidStoreName = errors.New("obj: invalid object store name")
	// ErrInvalidObjectName: an object name is empty.
	ErrInvalidObjectName = errors.New("obj: invalid object name")
	// ErrStoreNotFound: there is no stream OBJ_<bucket>.
	ErrStoreNotFound = errors.New("obj: object store not found")
	// ErrStoreExists: Create found a store of that name with another
	// configuration.
	ErrStoreExists = errors.New("obj: object store already exists")
	// ErrObjectNotFound: no object of that name, or it is deleted (unless
	// deleted objects were asked for).
	ErrObjectNotFound = errors.New("obj: object not found")
	// ErrBadObjectMeta: a meta message is not ObjectInfo JSON.
	ErrBadObjectMeta = errors.New("obj: object meta information invalid")
	// ErrDigestMismatch: the bytes read do not hash to the stored digest.
	ErrDigestMismatch = errors.New("obj: object digest mismatch")
	// ErrObjectSizeMismatch: the chunks read do not add up to the stored
	// size or chunk count.
	ErrObjectSizeMismatch = errors.New("obj: object size mismatch")
	// ErrLinkNotAllowed: Put was given meta that carries a link.
	ErrLinkNotAllowed = errors.New("obj: link cannot be set when putting an object")
	// ErrNoLinkToDeleted: the link target is deleted.
	ErrNoLinkToDeleted = errors.New("obj: not allowed to link to a deleted object")
	// ErrNoLinkToLink: the link target is itself a link.
	ErrNoLinkToLink = errors.New("obj: not allowed to link to another link")
	// ErrCantGetBucket: Get of a link to a whole bucket.
	ErrCantGetBucket = errors.New("obj: invalid get, object is a link to a bucket")
	// ErrObjectExists: AddLink or UpdateMeta would overwrite a live object.
	ErrObjectExists = errors.New("obj: an object already exists with that name")
	// ErrUpdateMetaDeleted: UpdateMeta of a deleted object.
	ErrUpdateMetaDeleted = errors.New("obj: cannot update meta for a deleted object")
	// ErrInvalidDigest: a stored digest is not "SHA-256=<base64url>".
	ErrInvalidDigest = errors.New("obj: invalid digest format")
	// ErrReaderStalled: the chunk consumer went quiet (no chunk, no
	// heartbeat) and could not be recreated. Nothing already returned by
	// Read is wrong; the rest of the object was not delivered.
	ErrReaderStalled = errors.New("obj: object reader stalled")
	// ErrReaderClosed: Read after Close.
	ErrReaderClosed = errors.New("obj: object reader closed")
	// ErrInvalidOption: an option value is out of range.
	ErrInvalidOption = errors.New("obj: invalid option")
)
