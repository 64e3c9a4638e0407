package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// report is everything one invocation measured, ready to print and write.
type report struct {
	cfg      *config
	machine  machine
	results  []*caseResult
	rows     [][]*row // per result
	wall     time.Duration
	profiles []profile
}

// missed returns the rows that missed their target.
func (r *report) missed() []*row {
	var out []*row
	for _, rs := range r.rows {
		for _, x := range rs {
			if x.verdict == targetMissed || x.verdict == noData {
				out = append(out, x)
			}
		}
	}
	return out
}

// caseLabel is a row's first column: the case, and the Starling variant
// where a case has more than one.
func caseLabel(x *row) string {
	spec := x.res.spec
	var label string
	switch spec.kind {
	case kindPub:
		label = sizeName(spec.size)
	case kindPubSub:
		label = sizeName(spec.size)
		if spec.header {
			label += " + 1 header"
		}
		label += ", " + strings.TrimPrefix(x.v.name, "Starling ")
	case kindReqSeq:
		label = strings.TrimSuffix("sequential, "+strings.TrimSpace(strings.TrimPrefix(x.v.name, "Starling")), ", ")
	case kindReqPar:
		label = strconv.Itoa(spec.inflight) + " in flight"
	case kindIdleSubs:
		label = groupThousands(x.res.n) + " subscriptions"
	}
	return label
}

// groupThousands writes 100000 as "100 000".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtOrDash(x float64, f func(float64) string) string {
	if math.IsNaN(x) {
		return "—"
	}
	return f(x)
}

// cells are a row's columns after the case: figure, Starling, nats.go,
// Starling ÷ nats.go, raw socket, Starling ÷ raw, target, result.
func cells(x *row) []string {
	t := "—"
	if x.target != nil {
		t = x.target.String()
	}
	// The ratio a target checks gets a third decimal, so that a figure
	// just past its limit does not print as equal to it.
	ratio, ofRaw := fmtRatio(x.ratio), fmtRatio(x.ofRaw)
	if x.target != nil && x.target.kind == vsNats && !math.IsNaN(x.ratio) {
		ratio = fmt.Sprintf("%.3f×", x.ratio)
	}
	if x.target != nil && x.target.kind == vsRaw && !math.IsNaN(x.ofRaw) {
		ofRaw = fmt.Sprintf("%.3f×", x.ofRaw)
	}
	return []string{
		x.m.label,
		fmtOrDash(x.s, x.m.format),
		fmtOrDash(x.n, x.m.format),
		ratio,
		fmtOrDash(x.raw, x.m.format),
		ofRaw,
		t,
		x.verdict.String(),
	}
}

var tableHead = []string{"case", "figure", "Starling", "nats.go", "Starling ÷ nats.go", "raw socket", "Starling ÷ raw", "target", "result"}

// printCase writes a case's figures as plain text, as soon as it finished.
func printCase(w io.Writer, res *caseResult, rows []*row) {
	fmt.Fprintf(w, "%s: %s of %d operations, %s\n", res.spec.title, plural(res.spec.pairs(res), "pair"), res.n, res.wall.Round(100*time.Millisecond))
	tw := newTextTable(tableHead)
	for _, x := range rows {
		tw.add(append([]string{caseLabel(x)}, cells(x)...))
	}
	tw.write(w)
	for _, p := range problems(res) {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
	fmt.Fprintln(w)
}

// pairs is how many rounds ran.
func (c *caseSpec) pairs(res *caseResult) int {
	if len(res.samples) == 0 {
		return 0
	}
	return len(res.samples[0])
}

// textTable aligns columns for the terminal.
type textTable struct{ rows [][]string }

func newTextTable(head []string) *textTable { return &textTable{rows: [][]string{head}} }

func (t *textTable) add(cells []string) { t.rows = append(t.rows, cells) }

func (t *textTable) write(w io.Writer) {
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// markdown renders the section that goes between the markers.
func (r *report) markdown(svgName string) string {
	var b strings.Builder
	m := r.machine
	p := fmt.Sprintf
	b.WriteString("_Written by the command below; everything between the markers is rewritten on each run, so edit `interop/bench`, not this text._\n\n")
	b.WriteString(p("**Command:** `%s` (wall time %s). ", r.cfg.command, fmtWall(r.wall)))
	b.WriteString(p("**Mode:** %s: %s per case", r.cfg.mode, plural(r.cfg.pairs, "pair")))
	if r.cfg.idlePairs < r.cfg.pairs {
		b.WriteString(p(" (%s for the idle subscriptions)", plural(r.cfg.idlePairs, "pair")))
	}
	if r.cfg.fixedOps != nil {
		b.WriteString(", fixed tiny counts (a test of the pipeline, not a measurement)")
	} else {
		b.WriteString(p(", each run calibrated by a warm-up to last about %s", r.cfg.runTime))
	}
	if r.cfg.mode == "quick" {
		b.WriteString("; quick mode has fewer pairs and shorter runs than the full run, so its figures are rougher")
	}
	b.WriteString(".\n\n")
	b.WriteString(p("**Machine:** %s, %d cores, %s, nats-server %s as its own process, load average %s at the start and %s at the end (1, 5, 15 min), %s.\n\n",
		m.cpu, m.cores, m.goVersion, m.server, m.loadStart, m.loadEnd, m.date.Format("2006-01-02 15:04 UTC")))
	b.WriteString(`How the figures are made:
- Every case runs against one nats-server process. After one unmeasured warm-up per contestant, each round runs Starling, then nats.go, then (where perf.md defines one) the raw socket, so they alternate; garbage is collected before every run.
- Starling, nats.go and raw socket columns are medians over the runs; the ratio columns are medians of the per-round ratios, which drift less than the figures on a shared machine.
- Every run ends with a flush and counts its messages (the server's in_msgs for publish, the subscriber's count for publish → subscriber, the replies for requests). A run that loses any is left out of the medians and listed below.
- Client CPU is user + system time of this process (getrusage RUSAGE_SELF) around the run; with a subscriber it covers both connections. The server is another process and is not counted.
- Allocations are the runtime.MemStats.Mallocs difference around the run, per message or round trip; 0 means under 0.01 (the run's fixed costs, a flush or a timer, spread over its messages).
- Raw socket: protocol bytes encoded before the run and written in 64 KiB batches, and a reader that only counts "MSG " occurrences: the most any client can get through this server here.
- Request/reply: both the requester and the replier use the client under test (Starling: Request with a context that has a deadline, replier with a borrowed handler and Respond; nats.go: Request with a timeout, replier with a callback and Respond); CPU and allocations cover both.
- Idle subscriptions: heap in use + stack in use after two collections, before and after subscribing (Starling: Subscribe with an owned handler; nats.go: Subscribe with a callback), divided by the number of subscriptions.
`)
	b.WriteString("\n![Starling ÷ nats.go for each figure](" + svgName + ")\n")

	group := ""
	for i, res := range r.results {
		if res.spec.group != group {
			group = res.spec.group
			b.WriteString("\n### " + group + "\n\n")
			b.WriteString("| " + strings.Join(tableHead, " | ") + " |\n")
			b.WriteString("|" + strings.Repeat(" --- |", len(tableHead)) + "\n")
		}
		for _, x := range r.rows[i] {
			b.WriteString("| " + caseLabel(x) + " | " + strings.Join(cells(x), " | ") + " |\n")
		}
	}

	b.WriteString("\n### Runs\n\n")
	for _, res := range r.results {
		b.WriteString(p("- %s: %s of %s operations each, %s.", res.spec.title, plural(res.spec.pairs(res), "pair"), groupThousands(res.n), fmtWall(res.wall)))
		if ps := problems(res); len(ps) > 0 {
			b.WriteString(" **Lost messages or failed:** " + strings.Join(ps, "; ") + ".")
		} else {
			b.WriteString(" Every run counted every message.")
		}
		b.WriteString("\n")
	}

	missed := r.missed()
	b.WriteString("\n### What bounds the missed targets\n\n")
	if len(missed) == 0 {
		b.WriteString("Every target of perf.md was met in this run.\n")
	}
	for _, x := range missed {
		b.WriteString(p("- **%s, %s, %s** (%s; Starling %s, nats.go %s): %s.\n", x.res.spec.title, x.v.name, x.m.label,
			x.target, fmtOrDash(x.s, x.m.format), fmtOrDash(x.n, x.m.format), x.bound))
	}
	if len(r.profiles) > 0 {
		b.WriteString("\n### Profiles of the Starling side of missed cases\n\n")
		b.WriteString("Taken after the measurements, in extra runs of the same length (CPU: pprof; allocations: every allocation recorded during the run). Top entries:\n")
		for _, pr := range r.profiles {
			b.WriteString("\n<details><summary>" + pr.title + "</summary>\n\n```\n" + strings.TrimRight(pr.top, "\n") + "\n```\n</details>\n")
		}
	}
	return b.String()
}

// fmtWall prints a wall time: "6 m 12 s", "41 s".
func fmtWall(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Minute {
		return p0("%d min %02d s", int(d/time.Minute), int((d%time.Minute)/time.Second))
	}
	return p0("%d s", int(d/time.Second))
}

func p0(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// plural writes "1 pair", "5 pairs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
