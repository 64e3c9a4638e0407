package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// chartFigures are the figures the chart shows: those with a ratio that
// means something (allocation ratios against a zero are left to the table,
// and CPU per million published repeats CPU per message).
var chartFigures = map[string]string{
	"rate": "rate", "cpu": "CPU", "p50": "p50", "p99": "p99", "mem": "memory",
}

// svg draws Starling ÷ nats.go for each charted figure as a horizontal bar:
// green where Starling is ahead (a lower cost, a higher rate), red where it
// is behind, a line at parity, and a tick at perf.md's target when the
// target is a ratio to nats.go. Written by hand: no dependency.
func (r *report) svg() string {
	type bar struct {
		group, label string
		ratio        float64
		better       bool
		target       float64 // NaN: none
	}
	var bars []bar
	for _, rs := range r.rows {
		for _, x := range rs {
			fig, ok := chartFigures[x.m.id]
			if !ok || math.IsNaN(x.ratio) || math.IsInf(x.ratio, 0) {
				continue
			}
			t := math.NaN()
			if x.target != nil && x.target.kind == vsNats {
				t = x.target.limit
			}
			better := x.ratio > 1
			if x.m.lowerBetter {
				better = x.ratio < 1
			}
			bars = append(bars, bar{group: x.res.spec.group, label: caseLabel(x) + " · " + fig, ratio: x.ratio, better: better, target: t})
		}
	}

	const (
		width   = 960
		labelW  = 400
		barX    = labelW + 10
		barW    = width - barX - 70
		rowH    = 18
		top     = 64
		groupH  = 24
		bottomH = 40
	)
	xmax := 2.0
	for _, b := range bars {
		xmax = max(xmax, math.Ceil(b.ratio*1.1*2)/2)
	}
	xmax = min(xmax, 4)
	x := func(v float64) float64 { return barX + barW*min(v, xmax)/xmax }

	groups := 0
	last := ""
	for _, b := range bars {
		if b.group != last {
			groups++
			last = b.group
		}
	}
	height := top + groups*groupH + len(bars)*rowH + bottomH

	var s strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&s, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="10" y="22" font-size="16" font-weight="bold">Starling ÷ nats.go, same run, same server (%s, %s)</text>`+"\n",
		esc(r.machine.date.Format("2006-01-02")), esc(r.cfg.mode))
	p(`<text x="10" y="42" fill="#444">Rates: higher is better. CPU, latency, memory: lower is better. Green: Starling ahead; red: behind; black tick: perf.md target.</text>` + "\n")

	y := top
	bottom := height - bottomH
	// Grid first, so bars draw over it.
	for v := 0.0; v <= xmax+1e-9; v += 0.5 {
		stroke, w := "#ddd", 1
		if v == 1 {
			stroke, w = "#555", 2
		}
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"/>`+"\n", x(v), top-4, x(v), bottom, stroke, w)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>`+"\n", x(v), bottom+16, strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")+"×")
	}
	last = ""
	for _, b := range bars {
		if b.group != last {
			last = b.group
			p(`<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+16, esc(shortGroup(b.group)))
			y += groupH
		}
		color := "#c62828"
		if b.better {
			color = "#2e7d32"
		}
		p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW, y+13, esc(b.label))
		p(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", barX, y+3, x(b.ratio)-barX, rowH-6, color)
		if !math.IsNaN(b.target) {
			p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" stroke-width="2"/>`+"\n", x(b.target), y+1, x(b.target), y+rowH-1)
		}
		label := fmtRatio(b.ratio)
		if b.ratio > xmax {
			label = "▸ " + label
		}
		p(`<text x="%.1f" y="%d">%s</text>`+"\n", x(b.ratio)+4, y+13, esc(label))
		y += rowH
	}
	p(`<text x="%d" y="%d" text-anchor="middle" fill="#444">Starling ÷ nats.go (medians of the per-round ratios)</text>`+"\n", barX+barW/2, height-6)
	s.WriteString("</svg>\n")
	return s.String()
}

// shortGroup drops a group's parenthesis for the chart.
func shortGroup(g string) string {
	if i := strings.Index(g, " ("); i > 0 {
		return g[:i]
	}
	return g
}

func esc(s string) string { return html.EscapeString(s) }
