// Package interop proves that Starling's core client and nats.go work
// together through a real nats-server, in both directions: publish and
// subscribe at every payload size up to max_payload, headers (multi-value,
// case preserved, status lines), request/reply and no-responders, queue
// groups mixing both clients, scatter-gather, drain, and reconnect after a
// server restart.
//
// It is a module of its own: its go.mod replaces the Starling module with
// the repository root and requires nats.go, so nats.go never becomes a
// dependency of the main module. The package holds tests only; run them
// with
//
//	cd interop && go test -race ./...
//
// The side-by-side benchmarks against nats.go are in interop/bench
// (cd interop && go run ./bench, or --quick); they write the client section
// of docs/perf.md.
package interop
