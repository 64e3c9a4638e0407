package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
)

// benchReport is a bench run: where it ran and what it measured.
type benchReport struct {
	cfg           *benchConfig
	url           string
	embedded      bool
	serverVersion string
	results       []benchResult
}

// The percentiles the table and the JSON show.
var benchPercentiles = []struct {
	name string
	q    float64
}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}}

// writeTable prints the report for people.
func (r *benchReport) writeTable(w io.Writer) {
	cfg := r.cfg
	fmt.Fprintf(w, "Starling bench: %d-byte payloads, subject %q\n", cfg.size, cfg.subject)
	where := "at " + r.url
	if r.embedded {
		where = "embedded in this process at " + r.url + " (client and server share the CPUs)"
	}
	fmt.Fprintf(w, "server: nats-server %s, %s\n", r.serverVersion, where)
	fmt.Fprintf(w, "client: Starling %s, %s %s/%s, %d CPUs, %s subscriber\n\n",
		core.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), handlerKind(cfg.owned))

	header := []string{"test", "msgs", "time", "msgs/s", "MB/s", "p50", "p90", "p99", "max"}
	rows := [][]string{header}
	for _, res := range r.results {
		row := []string{res.name, commas(res.msgs), fmtDuration(res.elapsed), commas(int64(res.rate())), fmt.Sprintf("%.2f", res.mbps())}
		if h := res.latency; h != nil && h.count() > 0 {
			for _, p := range benchPercentiles {
				row = append(row, fmtDuration(h.percentile(p.q)))
			}
			row = append(row, fmtDuration(h.maximum()))
		} else {
			row = append(row, "-", "-", "-", "-")
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i == 0 {
				b.WriteString(cell + pad) // names left, numbers right
			} else {
				b.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}

	var notes []string
	for _, res := range r.results {
		for _, n := range res.notes {
			notes = append(notes, res.name+": "+n)
		}
		if res.interrupted {
			notes = append(notes, res.name+": interrupted, partial result")
		}
	}
	if len(r.results) > 0 && r.results[len(r.results)-1].latency != nil {
		notes = append(notes, "latency: the time of one Request call, measured by the requester")
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}

func handlerKind(owned bool) string {
	if owned {
		return "owned-message"
	}
	return "borrowed-message"
}

// benchJSON is the --json document. Durations are in seconds, latencies in
// microseconds.
type benchJSON struct {
	Client   string            `json:"client"`
	Go       string            `json:"go"`
	OS       string            `json:"os"`
	Arch     string            `json:"arch"`
	CPUs     int               `json:"cpus"`
	Server   benchJSONServer   `json:"server"`
	Size     int               `json:"size"`
	Subject  string            `json:"subject"`
	Owned    bool              `json:"owned"`
	Inflight int               `json:"inflight"`
	Results  []benchJSONResult `json:"results"`
}

type benchJSONServer struct {
	URL      string `json:"url"`
	Version  string `json:"version"`
	Embedded bool   `json:"embedded"`
}

type benchJSONResult struct {
	Section     string             `json:"section"`
	Name        string             `json:"name"`
	Msgs        int64              `json:"msgs"`
	Seconds     float64            `json:"seconds"`
	MsgsPerSec  float64            `json:"msgs_per_sec"`
	MBPerSec    float64            `json:"mb_per_sec"`
	Lost        int64              `json:"lost,omitempty"`
	LatencyUS   map[string]float64 `json:"latency_us,omitempty"`
	Notes       []string           `json:"notes,omitempty"`
	Interrupted bool               `json:"interrupted,omitempty"`
}

// writeJSON prints the report for programs.
func (r *benchReport) writeJSON(w io.Writer) error {
	doc := benchJSON{
		Client: "starling " + core.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs:   runtime.NumCPU(),
		Server: benchJSONServer{URL: r.url, Version: r.serverVersion, Embedded: r.embedded},
		Size:   r.cfg.size, Subject: r.cfg.subject, Owned: r.cfg.owned, Inflight: r.cfg.inflight,
		Results: []benchJSONResult{},
	}
	for _, res := range r.results {
		j := benchJSONResult{
			Section: res.section, Name: res.name, Msgs: res.msgs, Seconds: res.elapsed.Seconds(),
			MsgsPerSec: res.rate(), MBPerSec: res.mbps(), Lost: res.lost, Notes: res.notes,
			Interrupted: res.interrupted,
		}
		if h := res.latency; h != nil && h.count() > 0 {
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			j.LatencyUS = map[string]float64{"min": us(h.minimum()), "mean": us(h.mean()), "max": us(h.maximum())}
			for _, p := range benchPercentiles {
				j.LatencyUS[p.name] = us(h.percentile(p.q))
			}
		}
		doc.Results = append(doc.Results, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// commas writes n with thousands separators: 1,234,567.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtDuration writes d with three significant digits in a unit that suits
// it: 812ns, 95.3µs, 1.27ms, 3.51s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + "µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + "ms"
	}
	return sig3(d.Seconds()) + "s"
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
