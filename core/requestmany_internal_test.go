package core

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// TestReplyQueueReportsDropsInPlace interleaves replies that find room
// with replies that do not, and checks the loop's view: every reply either
// comes out in order or is counted by a report standing where it was lost.
func TestReplyQueueReportsDropsInPlace(t *testing.T) {
	q := newReplyQueue(2)
	seq := 0
	push := func(n int) {
		for i := 0; i < n; i++ {
			q.push(&Msg{Data: []byte(strconv.Itoa(seq))})
			seq++
		}
	}
	var got []string
	take := func(n int) {
		for i := 0; i < n; i++ {
			m, err := q.next(context.Background(), nil, nil)
			var de *RepliesDroppedError
			switch {
			case errors.As(err, &de):
				got = append(got, "-"+strconv.Itoa(de.Dropped))
			case err != nil:
				t.Fatal(err)
			default:
				got = append(got, string(m.Data))
			}
		}
	}
	push(4) // 0 1 queued, 2 3 dropped
	take(1) // 0
	push(2) // 4 queued, 5 dropped
	take(4) // 1, the report of 2 3, 4, the report of 5
	push(1) // 6 queued
	take(1)
	want := []string{"0", "1", "-2", "4", "-1", "6"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
}
