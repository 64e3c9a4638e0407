module github.com/starling-nats/starling

go 1.26.0

require (
	github.com/nats-io/nkeys v0.4.17
	github.com/nats-io/nuid v1.0.1
	github.com/starling-nats/starling/codec v0.0.0
)

require (
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

// The codec is a module of its own (no requirements, for users who import it alone). Until
// it is tagged, the client builds against the copy beside it.
replace github.com/starling-nats/starling/codec => ./codec
