// Package bufpool holds a benchmark, and nothing else: it measures the
// codec's size-class buffer pools against github.com/valyala/bytebufferpool
// under the access patterns of the codec's read buffers, the decision
// recorded in docs/decisions.md (section "bytebufferpool"). It lives in
// interop/, a module of its own, so that bytebufferpool never enters the
// main module's requirements. Run it with
//
//	cd interop && go test ./bufpool -run '^$' -bench . -benchmem -count 3
package bufpool
