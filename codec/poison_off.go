//go:build !codecdebug

package codec

// poisonStale is off in normal builds; see poison_on.go.
const poisonStale = false

func poison([]byte) {}
