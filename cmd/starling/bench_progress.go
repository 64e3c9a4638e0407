package main

import (
	"fmt"
	"io"
	"math"
	"time"
)

// Progress is redrawn in place four times a second on a terminal; where
// stderr is a file (--progress), two lines a second are enough.
const (
	progressTerminalEvery = 250 * time.Millisecond
	progressLineEvery     = 500 * time.Millisecond
)

// progress shows how far a long bench phase is, on stderr. A phase that
// ends before the first tick shows nothing.
type progress struct {
	w        io.Writer
	terminal bool
	on       bool
}

func newProgress(w io.Writer, terminal, on bool) *progress {
	return &progress{w: w, terminal: terminal, on: on}
}

// start shows the progress of label, count() of total messages (total is
// math.MaxInt64 when only bound, a duration, ends the phase), until the
// returned function is called; that function erases the line and may be
// called more than once.
func (p *progress) start(label string, total int64, bound time.Duration, count func() int64) (stop func()) {
	if p == nil || !p.on {
		return func() {}
	}
	quit, exited := make(chan struct{}), make(chan struct{})
	every := progressLineEvery
	if p.terminal {
		every = progressTerminalEvery
	}
	go func() {
		defer close(exited)
		tick := time.NewTicker(every)
		defer tick.Stop()
		begin := time.Now()
		drawn := false
		for {
			select {
			case <-quit:
				if drawn && p.terminal {
					fmt.Fprint(p.w, "\r\033[K")
				}
				return
			case now := <-tick.C:
				line := progressLine(label, count(), total, bound, now.Sub(begin))
				if p.terminal {
					fmt.Fprintf(p.w, "\r%s\033[K", line)
				} else {
					fmt.Fprintln(p.w, line)
				}
				drawn = true
			}
		}
	}()
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			close(quit)
			<-exited
		}
	}
}

func progressLine(label string, n, total int64, bound, elapsed time.Duration) string {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed.Seconds()
	}
	frac := -1.0
	if total != math.MaxInt64 && total > 0 {
		frac = float64(n) / float64(total)
	}
	if bound > 0 {
		frac = max(frac, elapsed.Seconds()/bound.Seconds())
	}
	of := ""
	if total != math.MaxInt64 {
		of = " / " + commas(total)
	}
	pct := ""
	if frac >= 0 {
		pct = fmt.Sprintf(" (%d%%)", int(min(frac, 1)*100))
	}
	return fmt.Sprintf("%s: %s%s%s, %s/s", label, commas(n), of, pct, commas(int64(rate)))
}
