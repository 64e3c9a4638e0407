package codec

// Status codes carried on the first line of a header block
// ("NATS/1.0 503"), as read by HeaderView.Status.
const (
	// StatusControlMsg marks JetStream control messages: idle heartbeats
	// ("100 Idle Heartbeat") and flow-control requests ("100 FlowControl
	// Request", which carry a reply subject to answer).
	StatusControlMsg = 100
	// StatusIdleHeartbeat is StatusControlMsg under the name of its most
	// common use; tell the two uses apart by Description or reply subject.
	StatusIdleHeartbeat = StatusControlMsg
	// StatusNoContent ("204 EOB") ends a batched or multi direct get.
	StatusNoContent = 204
	// StatusBadRequest ("400 Bad Request - <detail>") rejects a pull request.
	StatusBadRequest = 400
	// StatusNotFound: "No Messages" for a no_wait pull with nothing pending,
	// "Message Not Found" or "No Results" for a direct get.
	StatusNotFound = 404
	// StatusRequestTimeout: a pull request expired or was ended by the
	// server, or a direct get was malformed.
	StatusRequestTimeout = 408
	// StatusConflict: a pull ended early (consumer deleted, leadership
	// change, limits exceeded, ...).
	StatusConflict = 409
	// StatusPreconditionFailed ("412 Required Api Level").
	StatusPreconditionFailed = 412
	// StatusTooManyResults ("413 Too Many Results") for a multi_last direct
	// get matching too many subjects.
	StatusTooManyResults = 413
	// StatusLocked: priority-group pin mismatch.
	StatusLocked = 423
	// StatusNoResponders ("503", no description): a request found no
	// subscriber. Sent only to clients that set headers and no_responders
	// in CONNECT.
	StatusNoResponders = 503
)
