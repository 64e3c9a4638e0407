// Package harness runs real nats-servers for tests: Starling's own, and those of any
// repository that imports it. It imports no Starling client package, only nats-server
// (the version pinned in go.mod) and its key and JWT libraries.
//
// RunServer starts a server on a free loopback port and stops it when the test ends:
//
//	s := harness.RunServer(t, harness.WithJetStream())
//	conn := connect(s.ClientURL()) // "nats://127.0.0.1:PORT"
//
// By default the server runs inside the test binary, with no TLS, no authentication
// and no JetStream; options add them (each option's doc names its default). Every
// option is rendered into nats-server configuration text (Server.ConfigFile), which
// in-process and process servers both start from, so WithConfig can add or override
// anything. A Server keeps its ports, files and JetStream store across Shutdown,
// Restart and LameDuck; Reload applies changed options to the running server.
//
// RunCluster starts n servers routed to each other (JetStream clustered with
// WithJetStream). WithProcess runs nats-server as a child process instead, built once
// from the pinned module into the user cache directory (BinaryPath), for faults only
// a process shows: Kill (SIGKILL), Freeze (SIGSTOP) and Thaw (SIGCONT). NewProxy puts a
// TCP proxy between client and server to cut, blackhole or delay links. Start is
// RunServer for programs: cmd/starling's embedded server uses it.
//
// When a test fails, the log of each of its servers is printed. Everything the
// harness starts (servers, processes, proxy goroutines) is gone when the test's
// cleanups have run, so tests can check for leaks with go.uber.org/goleak.
package harness
