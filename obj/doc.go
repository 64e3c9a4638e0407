// Package obj is Starling's JetStream Object Store: objects of any size
// stored as chunk messages in a stream, wire-compatible with nats.go's
// object store and the nats CLI (ADR-20).
//
// Layout: store B is stream OBJ_B; an object's bytes are chunk messages on
// $O.B.C.<nuid> (a fresh nuid per put) and its Info is a JSON meta message
// on $O.B.M.<base64url(name)>, the only message kept there (Nats-Rollup).
//
// Lifecycle: Create, Update, CreateOrUpdate and Open return a *Store, a
// plain handle with no goroutine; Delete removes a store; Names and List
// page through the account's stores lazily.
//
// Memory is bounded by windows, never by the object: Put reads its
// io.Reader one chunk at a time (WithChunkSize) with at most a window of
// chunks awaiting acks (WithPutWindow), and Get returns a *Reader that
// pulls a window of chunks at a time (WithGetWindow). Put writes the meta
// only after every chunk is acknowledged and then purges the previous
// version's chunks; a failed put purges its own chunks and leaves the old
// version readable. A Reader checks the size and SHA-256 digest at the end
// (ErrObjectSizeMismatch, ErrDigestMismatch); GetBytes and GetFile return
// or rename nothing unverified.
//
// A Reader and a Watch read through an ephemeral ordered pull consumer
// that the package runs on the caller's goroutine: the connection's
// reader only copies into a bounded queue. A gap, a deleted consumer or
// three missed heartbeats recreate the consumer from the last message
// read (so a Get survives a server restart); a read whose chunks were
// purged under it ends with ErrObjectSizeMismatch rather than waiting on
// heartbeats; the context given to Get or
// Watch ends the read whatever the server does, and Close (or leaving the
// Watch loop) deletes the consumer, with the server's inactive threshold
// as the backstop if it cannot be reached.
//
// Concurrent writers of one name: each meta write replaces only the
// version its writer read, so racing puts end with the last one winning
// and no chunks of the others left behind.
//
// Differences from nats.go: List of an empty store yields nothing and no
// error (nats.go returns ErrNoObjectsFound); a Get does not start a
// goroutine and holds a window of chunks, not the object; the watch's
// end-of-initial-data marker is a (nil, nil) pair in the iterator and a
// nil *Info on the WatchChan channel.
package obj
