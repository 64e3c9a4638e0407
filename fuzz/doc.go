// Package fuzz holds Go fuzz targets for the codec package: FuzzReader and
// FuzzClientReader (arbitrary bytes into the two decoders), FuzzHeader
// (arbitrary header blocks into HeaderView, ParseHeader and Header.Append),
// FuzzSubject (subject validation against an independent oracle, and
// subjects through the encoders and decoders) and FuzzRoundTrip (encoded
// operations decode to what went in). The package has no API; its tests are
// the targets.
//
// Every target asserts that nothing panics, that no decoded operation
// exceeds the decoder's limits, and that decoding valid input allocates
// nothing (testing.AllocsPerRun == 0). The seed corpora under
// testdata/fuzz/<Target>/ (single operations of real-server transcripts,
// edge cases, past findings) run as ordinary tests in go test ./... , where
// every input gets every check. Under -fuzz, the checks that cost several
// times a whole execution (AllocsPerRun, which stops the world, and
// FuzzRoundTrip's decoding of INFO and CONNECT with encoding/json) run on
// every 8th input, chosen by a hash of its content so that a failure
// reproduces; and FuzzRoundTrip skips fields longer than 128 bytes, which
// the fuzzer's loop-count coverage made look new without end.
// docs/fuzzing.md says why each target is shaped for speed: a target that
// runs a few hundred inputs a second finds nothing.
//
// To fuzz one target for longer (it uses every core; run one at a time):
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzReader$' -fuzztime 10m
//	go test ./fuzz -run '^$' -fuzz '^FuzzClientReader$' -fuzztime 10m
//	go test ./fuzz -run '^$' -fuzz '^FuzzHeader$' -fuzztime 10m
//	go test ./fuzz -run '^$' -fuzz '^FuzzSubject$' -fuzztime 10m
//	go test ./fuzz -run '^$' -fuzz '^FuzzRoundTrip$' -fuzztime 10m
//
// A failing input is written to testdata/fuzz/<Target>/; once fixed, keep it
// there so it stays a regression test. The seed corpus is regenerated from
// the codec transcripts and the edge cases in corpus_test.go with
//
//	go test ./fuzz -run TestSeedCorpus -update-corpus
package fuzz
