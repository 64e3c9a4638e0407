// Package js is Starling's JetStream API: a context bound to one
// connection (New) that manages streams, publishes with acknowledgements,
// and reads stored messages.
//
// Lifecycle: New sends nothing; the server's API level is read from
// $JS.API.INFO on the first call that gates on it and remembered. Every
// call takes a context.Context; one without a deadline is bounded by the
// context's timeout (WithTimeout). Close ends the async publisher; the
// connection is the caller's.
//
// Publishing: Publish waits for the PubAck and resolves an ack timeout
// instead of guessing: a message with a MsgID (or AutoMsgID) is
// republished with the same ID until the stream acknowledges it (a
// Duplicate ack means an earlier attempt was stored) or the caller's
// context ends. PublishAsync returns a *PubAckFuture at once; a bounded
// window (WithPublishAsyncMaxPending) keeps at most that many publishes
// waiting, and each future settles by its ack, its error, its ack timeout,
// a disconnect (seen through core's AddEventListener), or the publisher's
// or connection's end; none stays pending.
//
// Newer features are gated on the server's API level: counters (Incr,
// Increment, Counter), atomic batches (NewAtomicBatch) and schedules
// (Schedule) fail with a *LevelError before anything is sent to a server
// too old for them.
//
// Errors: the server's refusals are *APIError, matched with errors.Is
// against ErrStreamNotFound and the other err_code sentinels. Replies a
// server does not send (bad JSON, the wrong type, a body past
// WithMaxResponseSize) are ErrInvalidResponse or ErrResponseTooLarge.
//
// Consumers: CreateConsumer (and Update, CreateOrUpdate, Delete, Info,
// ConsumerNames, Consumers, Pause, Resume, Unpin, Reset) manage them; a
// *Consumer pulls with Fetch, FetchNoWait and Next (one request; the
// reason it ended is a *PullStatusError) or runs continuously with
// Consume (an owned *Msg on the consume's goroutine), ConsumeBorrowed (a
// *BorrowedMsg on the connection's reader, no allocation) or Messages (an
// iter.Seq2). A running consume keeps its pulls alive by itself: after a
// reconnect, missed heartbeats, a leadership change or a server shutdown
// it pulls again; what it cannot recover from (the consumer deleted, a
// push consumer, a bad request, the connection closed) ends it with an
// error given to PullErrorHandler, ConsumeContext.Err or the iterator.
// OrderedConsumer reads a stream in order, exactly once, across restarts;
// ConsumePush serves push consumers. Acks are at most once per message.
//
// js talks to the connection through the Conn interface, which
// *core.Conn satisfies.
package js
