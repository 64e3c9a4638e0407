package core

import (
	"testing"
	"unsafe"
)

// Every block must be exactly one allocator size class: if Msg grows,
// msgSize must follow, or blocks would spill into the next class.
func TestMsgBlockSizes(t *testing.T) {
	require.EqualValues(t, msgSize, unsafe.Sizeof(Msg{}), "update msgSize in msgalloc.go")
	for _, total := range msgBlockTotals {
		m, b := allocMsg(total - msgSize)
		require.NotNil(t, m)
		assert.Len(t, b, total-msgSize)
		assert.Equal(t, total-msgSize, cap(b))
	}
	// One byte more than the biggest block: a separate buffer.
	biggest := msgBlockTotals[len(msgBlockTotals)-1] - msgSize
	_, b := allocMsg(biggest + 1)
	assert.Len(t, b, biggest+1)
}

// One allocation per owned message up to the biggest block, two beyond.
func TestAllocsOwnedMsgCopy(t *testing.T) {
	subject := []byte("orders.created")
	for _, n := range []int{0, 16, 1000, 8000, 9000} {
		data := make([]byte, n)
		allocs := testing.AllocsPerRun(100, func() {
			_ = newOwnedMsg(nil, nil, subject, nil, nil, data)
		})
		want := 1.0
		if n+len(subject) > msgBlockTotals[len(msgBlockTotals)-1]-msgSize {
			want = 2
		}
		assert.Equal(t, want, allocs, "payload of %d bytes", n)
	}
}
