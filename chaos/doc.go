// Package chaos is Starling's Jepsen-style fault campaign: a three-node nats-server
// cluster run as processes (harness.WithProcess) with a proxy on every client link and
// every route, an R3 stream written by concurrent publishers (js.Publish with a MsgID,
// so an ambiguous timeout is republished under the same ID) and read by a durable
// consumer that double-acks every message, an R3 KV bucket on which clients get, put,
// create and compare-and-set a few keys, and a nemesis that, on a
// schedule drawn from a seed, kills and restarts nodes, freezes and thaws them, cuts or
// blackholes clients from servers and servers from each other, delays routes and forces
// stream leader stepdowns.
//
// Every operation and every fault is recorded with the times it began and ended and
// its outcome: ok (acknowledged), fail (refused: certainly not applied) or unknown
// (no answer: maybe applied). After the run the faults are healed and the checker
// reads the stream back: an acknowledged publish that is not stored is lost, a MsgID
// stored twice is duplicated, and both must be zero; unknown outcomes are counted,
// with how many were in fact stored. The consumer must have delivered every
// acknowledged publish and never delivered one again after its double ack was
// confirmed. Each key's KV history must be linearizable as a compare-and-set register
// (checked with porcupine), and no acknowledged write may be newer than the final state.
//
// Run is the campaign; a seed replays the same schedule of faults (Schedule). A run
// that fails writes its history as JSON lines and a self-contained HTML timeline of
// operations and faults (WriteHistory, WriteTimeline). Soak is the long-running mode:
// forced reconnects under load while the client's heap and goroutines are sampled.
package chaos
