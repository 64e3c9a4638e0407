// Command bench measures Starling's core client beside nats.go, the way
// shared/perf.md prescribes, and writes the result into the repository's
// docs/perf.md and docs/perf.svg:
//
//	cd interop && go run ./bench           # full run: 5 pairs per case, runs of about 1 s (under 10 minutes on 2 cores)
//	cd interop && go run ./bench --quick   # 3 pairs of short runs, 1 for idle subscriptions (under a minute)
//
// Other flags: -only REGEXP picks cases by id (pub-16B, pubsub-64KiB,
// pubsub-16B-hdr, req-seq, req-64, idle-subs), -pairs N, -run DURATION,
// -write=false prints without writing, -doc and -svg write elsewhere,
// -profile DIR keeps the profiles of missed targets ("none" skips them).
//
// # What it runs
//
// One nats-server process (harness.Start with WithProcess), so the CPU this
// process uses is the clients' alone. Against it, every case opens its
// contestants once: Starling, nats.go v1.55.0 and, for publish and publish
// → subscriber, a raw socket that writes protocol bytes encoded in advance
// in 64 KiB batches and reads by counting "MSG " (perf.md's ceiling). Each
// contestant has a subject of its own. After one unmeasured warm-up each,
// which also calibrates the count of a run, the case runs rounds: Starling,
// nats.go, raw, Starling, nats.go, raw... with a garbage collection before
// every run.
//
// The cases: publish at 16 B, 128 B, 1 KiB and 64 KiB; publish → 1
// subscriber in this process at the same sizes, with Starling's borrowed
// and owned handlers against nats.go's callback, and at 16 B with one
// header; request/reply sequential (p50, p99) and with 64 requests in
// flight; and the memory of 100 000 idle subscriptions.
//
// # What it reports
//
// For each figure: the medians of Starling and nats.go, the median of the
// per-round ratios, the raw socket's median and Starling's share of it, and
// perf.md's target with met or missed. Rates are counted operations per
// wall second; client CPU is getrusage(RUSAGE_SELF) user + system around a
// run, per message; allocations are runtime.MemStats.Mallocs around a run,
// per message. Every run flushes and counts: the server's in_msgs for
// publish, the subscriber's count for publish → subscriber, the replies for
// requests; a run that lost anything is left out of the medians and listed.
// For every missed target the report says what bounds it, and the full run
// profiles (CPU and allocations) the Starling side of each missed case
// after the measurements and puts the top entries in the report.
//
// The section is written between the markers <!-- interop-bench:start -->
// and <!-- interop-bench:end --> under "## client: Starling beside nats.go";
// nothing else in docs/perf.md is touched. The markers are added (with the
// heading, at the end of the file) when they are missing.
package main
