package kv

import (
	"errors"

	"github.com/starling-nats/starling/js"
)

// Errors of the kv package. Server refusals keep their *js.APIError in the
// chain, so errors.Is also matches js's err_code sentinels.
var (
	// ErrInvalidBucketName: a bucket name is empty or holds a character
	// outside [a-zA-Z0-9_-]. Reported before anything is sent.
	ErrInvalidBucketName = errors.New("kv: invalid bucket name")
	// ErrInvalidKey: a key is empty, holds a character outside
	// [-/_=.a-zA-Z0-9], starts or ends with '.', or holds "..". Filters
	// may also use '*' tokens and a last '>' token. Reported before
	// anything is sent.
	ErrInvalidKey = errors.New("kv: invalid key")
	// ErrKeyNotFound: the key has no value (never written, or its last
	// entry is a delete or purge marker: see ErrKeyDeleted).
	ErrKeyNotFound = errors.New("kv: key not found")
	// ErrKeyDeleted: the key's last entry is a delete or purge marker. It
	// matches ErrKeyNotFound with errors.Is; *DeletedError carries the
	// marker's revision for a following Create or Update.
	ErrKeyDeleted = errors.New("kv: key deleted")
	// ErrKeyExists: Create found a live value for the key.
	ErrKeyExists = errors.New("kv: key exists")
	// ErrWrongRevision: an Update, Delete or Purge expected a revision the
	// key does not have, or (ErrWriteInFlight) was refused before the server
	// could tell. The server's *js.APIError (err_code 10071 or 10164) is in
	// the chain.
	ErrWrongRevision = errors.New("kv: wrong last revision")
	// ErrWriteInFlight: the server refused a compare-and-set because another
	// write to the key was still being stored (err_code 10164). The expected
	// revision may still be current: if that write never commits, it is.
	// Read the key again and retry. Also matches ErrWrongRevision, as the
	// server's refusal always did.
	ErrWriteInFlight = errors.New("kv: another write to the key is in flight")
	// ErrBucketNotFound: no bucket (stream KV_<name>) by that name. The
	// server's *js.APIError is in the chain when it said so.
	ErrBucketNotFound = errors.New("kv: bucket not found")
	// ErrBucketExists: Create found a bucket by that name with another
	// configuration.
	ErrBucketExists = errors.New("kv: bucket exists with a different configuration")
	// ErrHistoryTooLarge: a bucket's history is above MaxHistory (64).
	ErrHistoryTooLarge = errors.New("kv: history too large")
	// ErrInvalidConfig: a bucket configuration value is out of range or
	// contradicts another.
	ErrInvalidConfig = errors.New("kv: invalid bucket configuration")
	// ErrInvalidOption: an operation option is out of range or does not
	// apply to the operation.
	ErrInvalidOption = errors.New("kv: invalid option")
	// ErrNotABucket: the stream named KV_<name> is not shaped like a bucket
	// (its subjects are not $KV.<name>.> and it is no mirror of one).
	ErrNotABucket = errors.New("kv: stream is not a key-value bucket")
	// ErrWatcherStopped: the watcher was stopped or its connection closed.
	ErrWatcherStopped = errors.New("kv: watcher stopped")
	// ErrInvalidResponse: a reply the server does not send (a bad ack
	// subject, a direct-get reply without its headers).
	ErrInvalidResponse = errors.New("kv: invalid server response")
)

// DeletedError is the error of a read that found a delete or purge
// marker: it matches ErrKeyDeleted and ErrKeyNotFound.
type DeletedError struct {
	Key string
	// Revision is the marker's revision: Update(key, value, Revision)
	// writes over it.
	Revision uint64
	Op       Operation
}

func (e *DeletedError) Error() string { return "kv: key " + e.Key + " deleted" }

// Is matches ErrKeyDeleted and ErrKeyNotFound.
func (e *DeletedError) Is(target error) bool {
	return target == ErrKeyDeleted || target == ErrKeyNotFound
}

// wrongRevision maps the server's CAS refusal to ErrWrongRevision,
// keeping the *js.APIError in the chain.
func wrongRevision(err error) error {
	if !errors.Is(err, js.ErrWrongLastSequence) {
		return err
	}
	var apiErr *js.APIError
	if errors.As(err, &apiErr) && apiErr.ErrCode == errCodeWriteInFlight {
		return &joined{ErrWriteInFlight, &joined{ErrWrongRevision, err}}
	}
	return &joined{ErrWrongRevision, err}
}

// errCodeWriteInFlight is nats-server's refusal of a write that expects a last
// subject sequence while another write to that subject is being proposed.
const errCodeWriteInFlight = 10164

// bucketNotFound maps a missing stream to ErrBucketNotFound.
func bucketNotFound(err error) error {
	if errors.Is(err, js.ErrStreamNotFound) {
		return &joined{ErrBucketNotFound, err}
	}
	return err
}

// joined is a kv sentinel in front of the error that caused it; its
// message is the sentinel's followed by the cause's.
type joined struct{ kind, cause error }

func (e *joined) Error() string   { return e.kind.Error() + ": " + e.cause.Error() }
func (e *joined) Unwrap() []error { return []error{e.kind, e.cause} }
