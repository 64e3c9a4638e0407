package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressMin is the smallest transfer that gets a bar: below it the
// transfer is over before a bar would say anything.
const progressMin = 4 << 20

// transferBar is a progress bar on stderr (bytes, rate, ETA) for a put or
// get, or nothing when stderr is not a terminal, the transfer is small or
// --no-progress was given.
type transferBar struct {
	bar *progressbar.ProgressBar
	out io.Writer
}

// newTransferBar makes the bar; size -1 is unknown (a pipe): a spinner
// with the bytes so far.
func newTransferBar(st *stdio, want bool, size int64, what string) *transferBar {
	if !want || !st.stderrIsTerminal || size >= 0 && size < progressMin {
		return &transferBar{}
	}
	return &transferBar{out: st.stderr, bar: progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(st.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { _, _ = st.stderr.Write([]byte("\n")) }),
		progressbar.OptionFullWidth(),
	)}
}

func (b *transferBar) reader(r io.Reader) io.Reader {
	if b.bar == nil {
		return r
	}
	return io.TeeReader(r, b.bar)
}

func (b *transferBar) writer(w io.Writer) io.Writer {
	if b.bar == nil {
		return w
	}
	return io.MultiWriter(w, b.bar)
}

// finish completes the bar on success and leaves it where it stopped on
// failure, on a line of its own.
func (b *transferBar) finish(err error) {
	if b.bar == nil {
		return
	}
	if err == nil {
		_ = b.bar.Finish()
		return
	}
	_ = b.bar.Exit()
	_, _ = io.WriteString(b.out, "\n")
}
