//go:build race

package core_test

// raceEnabled scales down the repetitions of the longest fault tests: the
// race detector slows the client several times over.
const raceEnabled = true
