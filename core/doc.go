// Package core is Starling's NATS client: connections, authentication,
// publish, subscribe, request/reply, flush, drain, reconnect and events.
//
// # Connecting
//
// Connect dials a server of its pool (the URLs given, plus those a cluster
// announces), reads its INFO, runs TLS when asked, authenticates and waits
// for the server's PONG before returning a *Conn. Options (WithName,
// WithUserInfo, WithCredentialsFile, WithTLS, WithReconnectWait, ...) each
// document their default. A Conn survives the loss of its server: it
// reconnects with backoff, restores its subscriptions and replays the
// publishes made meanwhile (up to WithReconnectBufferSize).
//
// # Receiving
//
// One Subscription type, four ways to receive, chosen at creation:
//
//   - SubscribeBorrowed: the handler runs on the connection's reader
//     goroutine with a *BorrowedMsg whose slices alias the read buffer and
//     are valid only until the handler returns. Nothing is allocated per
//     message. For fast, non-blocking consumers.
//   - Subscribe: the handler gets an owned *Msg it may keep, in order, on a
//     goroutine that exists only while messages wait. One allocation per
//     message.
//   - SubscribeSync: pull with Next(ctx), or range over Messages(ctx).
//   - SubscribeChan: owned messages sent on the user's channel.
//
// Messages waiting for an owned handler, Next or a channel count against
// pending limits; over them messages are dropped, counted, and a
// slow-consumer event fires once per episode.
//
// # Message lifecycle
//
// A *Msg received from Subscribe, Next, a channel or Request belongs to the
// user from then on; the Conn never touches it again. A *BorrowedMsg
// belongs to the Conn; copy it with Copy to keep it. A *Msg given to
// PublishMsg is read during the call only.
//
// # Requests
//
// Request and RequestMsg share one wildcard inbox subscription per
// connection; RequestMany yields several replies (ADR-47). A request that
// nobody listens to fails with ErrNoResponders.
//
// # Events
//
// A Conn reports what happens to it (connected, disconnected, reconnected,
// closed, lame duck, servers discovered, slow consumer, async error) to
// the WithEventHandler handler and to every function added with
// AddEventListener. Each listener gets the events in order, on a goroutine
// of its own that runs only while events wait for it: a slow listener
// delays only itself, never the connection or the other listeners.
//
// # Draining
//
// Drain (of a Subscription or of the whole Conn) stops new messages,
// delivers those already sent, then ends. Called from a message handler it
// starts the drain and returns at once, since the drain waits for the
// handler; wait on Done or Closed outside it.
//
// # Errors
//
// Sentinels (ErrXxx) match with errors.Is; -ERR from the server is a
// *ServerError whose Fatal method says whether the server closed the
// connection; errors that concern one subscription arrive as events with a
// *SubscriptionError. A session ended by the keep-alive carries a
// *StaleConnectionError naming the rule that fired, and IsTemporary says
// whether retrying an operation may help.
//
// The goroutines, locks and session states are described in
// docs/architecture.md.
package core
