// Package kv is Starling's Key-Value store: buckets that are JetStream
// streams by the conventions of ADR-8 (bucket B is stream KV_B, key k is
// subject $KV.B.k), so nats.go and the nats CLI read what it writes and the
// other way round.
//
// A Store (New) manages the buckets of one js.JetStream: Create, Update,
// CreateOrUpdate, Delete, Bucket (open), Status, and the lazy iterators
// Names and List. A domain or API prefix set on the JetStream context
// applies to every bucket, reads and writes alike.
//
// A Bucket reads and writes entries: Get (a direct get with the key in the
// request subject), GetRevision, Put, Create (optionally with a per-key
// TTL), Update (compare-and-set on the revision), Delete and Purge
// (optionally compare-and-set; a purge marker may carry its own TTL),
// PurgeDeletes, History, and Keys / ListKeys, which stream with memory
// bounded independently of the number of keys. Names are checked before
// anything is sent (ErrInvalidBucketName, ErrInvalidKey).
//
// Watch and WatchAll return a Watcher: the current values, a nil entry
// marking the end of that initial data (even for an empty bucket, never
// with UpdatesOnly), then every update, through Next, the Entries iterator
// or the Updates channel. A Watcher runs one consumer and nothing else; it
// recreates that consumer from the last revision it delivered whenever the
// consumer goes quiet or skips (server restart, reconnect, leader change),
// so no update is missed or repeated. Stop ends it; no entry is delivered
// after Stop returns.
//
// Errors: ErrKeyNotFound, ErrKeyDeleted (a *DeletedError, which also
// matches ErrKeyNotFound), ErrKeyExists, ErrWrongRevision (the server's
// *js.APIError 10071/10164 stays in the chain), ErrBucketNotFound,
// ErrBucketExists, ErrHistoryTooLarge.
package kv
