// Package svc runs and finds NATS services (ADR-32, the "micro" Service
// API): request/reply endpoints that anyone on the system can discover,
// ping and measure, and that `nats micro` and nats.go's micro package list
// like their own.
//
// # Running a service
//
// Add validates a Config (name, semantic version, queue group, prefix)
// before it subscribes anything, gives the instance a unique id and
// subscribes it to the discovery subjects: PING, INFO and STATS, each on
// $SRV.<VERB>, $SRV.<VERB>.<name> and $SRV.<VERB>.<name>.<id>, as plain
// subscriptions so every instance answers. Endpoints are added to the
// Service or to nested Groups (a subject prefix each); they join queue
// group "q" unless the service, a group or the endpoint names another or
// turns it off, so instances of one service share the load.
//
// A Handler gets a *Request and answers it with Respond, RespondJSON or
// Error (the Nats-Service-Error and Nats-Service-Error-Code headers). By
// default requests are owned: handled one at a time per endpoint on a
// goroutine of its own, and free to keep. With Borrowed, the handler runs
// on the connection's reader with a reused Request: no allocation per
// request, for quick handlers that keep nothing. A handler that panics
// sends the requester a 500 error, is counted in the endpoint's errors and
// reported to Config.ErrorHandler; the service keeps running.
//
// Statistics are kept per endpoint (requests, errors, last error,
// processing time and its average, custom data from Config.StatsHandler)
// and zeroed by Reset. Stop drains every subscription, so requests already
// delivered are answered and later ones go to other instances; the
// service's lifecycle ends with Done and Config.DoneHandler. Endpoint.Stop
// takes one endpoint away the same way while the service runs on.
// Requests dropped over an owned endpoint's PendingLimits, and endpoints
// the server refuses (permissions), are counted as errors and reported to
// Config.ErrorHandler rather than lost silently. A service
// whose connection closes stops; one whose connection reconnects is
// discoverable again as soon as the new session is up.
//
// # Finding services
//
// Ping, Info and Stats ask all services, one service or one instance, and
// yield every answer as an iterator (core's RequestMany with a stall
// timeout). ResponseError turns an endpoint's error reply into a
// *ServiceError for requesters.
//
// Errors: *ConfigError (matches ErrInvalidConfig), ErrStopped,
// ErrBadErrorReply, *HandlerError (ErrHandlerPanic), ErrBadResponse,
// *ServiceError.
package svc
