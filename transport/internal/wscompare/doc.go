// Package wscompare measures Starling's own WebSocket framing (transport) against
// github.com/coder/websocket v1.8.15 used through websocket.NetConn, the two ways to
// give core a WebSocket net.Conn. It is a module of its own so that coder/websocket
// never enters the main module's dependencies; docs/websocket.md records the results
// and the decision.
//
//	cd transport/internal/wscompare && go test -run '^$' -bench . -benchmem -count 5
package wscompare
