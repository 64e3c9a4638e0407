package chaos

import (
	"bufio"
	"fmt"
	"html"
	"os"
	"sort"
	"strings"
)

// timelineMaxOK bounds how many acknowledged operations the timeline draws; past it
// only the others (failed, unknown, offending) and the faults are drawn, so a long
// run's page stays small enough to open.
const timelineMaxOK = 20000

var faultColors = map[string]string{
	string(Kill): "#d62728", string(Freeze): "#1f77b4", string(ClientCut): "#ff7f0e",
	string(ClientBlackhole): "#8c564b", string(RouteCut): "#9467bd", string(RouteBlackhole): "#e377c2",
	string(RouteDelay): "#bcbd22", string(Stepdown): "#17becf",
}

var outcomeColors = map[Outcome]string{OK: "#2ca02c", Fail: "#d62728", Unknown: "#ff9f1c"}

// WriteTimeline writes a self-contained HTML page with an SVG timeline of h: one lane
// per process, each operation a bar from invocation to completion coloured by outcome
// (offending ones outlined in black), each fault a band across every lane. Hovering
// shows an element's details.
func WriteTimeline(path string, seed int64, h []Op) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	w := bufio.NewWriter(f)
	writeTimeline(w, seed, h)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("chaos: %w", err)
	}
	return f.Close()
}

func writeTimeline(w *bufio.Writer, seed int64, h []Op) {
	lanes := map[string]int{}
	var names []string
	var end int64 = 1
	ok := 0
	for _, op := range h {
		if !op.IsFault() {
			if _, seen := lanes[op.Process]; !seen {
				lanes[op.Process] = 0
				names = append(names, op.Process)
			}
			if op.Outcome == OK {
				ok++
			}
		}
		end = max(end, op.End, op.Start)
	}
	sort.Strings(names)
	for i, n := range names {
		lanes[n] = i
	}
	const width, left, laneH, top = 1600.0, 80.0, 22.0, 30.0
	height := top + laneH*float64(len(names)) + 20
	x := func(ns int64) float64 { return left + (width-left-10)*float64(ns)/float64(end) }
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>starling chaos, seed %d</title>", seed)
	w.WriteString("<style>body{font:13px sans-serif}rect:hover{stroke:#000;stroke-width:1}</style></head><body>")
	fmt.Fprintf(w, "<h3>starling chaos, seed %d: %d operations, run of %.1fs</h3>", seed, len(h), float64(end)/1e9)
	w.WriteString("<p>Bars: operations from invocation to completion; green ok, red refused, orange unknown; black outline: flagged by the checker. Bands: faults (hover for details).")
	if ok > timelineMaxOK {
		fmt.Fprintf(w, " %d acknowledged operations are not drawn (more than %d).", ok, timelineMaxOK)
	}
	w.WriteString("</p><p>")
	kinds := make([]string, 0, len(faultColors))
	for k := range faultColors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "<span style=\"background:%s;opacity:.5;padding:0 6px;margin-right:6px\">%s</span>", faultColors[k], k)
	}
	fmt.Fprintf(w, "</p><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">", width, height)
	for s := int64(0); s <= end; s += 5e9 { // a tick every 5 s
		fmt.Fprintf(w, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.0f\" font-size=\"10\">%ds</text>",
			x(s), top-5, x(s), height-20, x(s), top-10, s/1e9)
	}
	for _, op := range h {
		if !op.IsFault() {
			continue
		}
		c := faultColors[op.F]
		if c == "" {
			c = "#777"
		}
		x0, x1 := x(op.Start), x(op.End)
		fmt.Fprintf(w, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" opacity=\".25\"><title>%s</title></rect>",
			x0, top, max(x1-x0, 2), height-top-20, c, html.EscapeString(faultString(op)))
	}
	for i, n := range names {
		fmt.Fprintf(w, "<text x=\"4\" y=\"%.0f\">%s</text>", top+laneH*float64(i)+15, html.EscapeString(n))
	}
	for _, op := range h {
		if op.IsFault() || (op.Outcome == OK && !op.Missing && ok > timelineMaxOK) {
			continue
		}
		y := top + laneH*float64(lanes[op.Process]) + 4
		x0, x1 := x(op.Start), x(op.End)
		stroke := ""
		if op.Missing {
			stroke = " stroke=\"#000\" stroke-width=\"2\""
		}
		fmt.Fprintf(w, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"%s><title>%s</title></rect>",
			x0, y, max(x1-x0, 1), laneH-8, outcomeColors[op.Outcome], stroke, html.EscapeString(opString(op)))
	}
	w.WriteString("</svg></body></html>\n")
}

func faultString(op Op) string {
	s := []string{op.F}
	if op.Node != "" {
		s = append(s, op.Node)
	}
	s = append(s, fmt.Sprintf("[%.3fs, %.3fs]", float64(op.Start)/1e9, float64(op.End)/1e9))
	if op.Detail != "" {
		s = append(s, op.Detail)
	}
	if op.Err != "" {
		s = append(s, "error: "+op.Err)
	}
	return strings.Join(s, " ")
}
