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
	"github.com/starling-nats/starling/internal/benchkit"
)

// benchReport is a bench run: where it ran and what it measured.
type benchReport struct {
	cfg           *benchConfig
	url           string
	embedded      bool
	serverVersion string
	results       []benchResult
}

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

	header := []string{"test", "msgs", "time", "msgs/s", "MB/s"}
	for _, p := range benchkit.Percentiles {
		header = append(header, p.Name)
	}
	header = append(header, "max")
	rows := [][]string{header}
	for _, res := range r.results {
		t := res.total
		row := []string{res.name, commas(t.Msgs), fmtDuration(t.Duration()), commas(int64(t.Rate())), fmt.Sprintf("%.2f", t.MBps())}
		if h := res.latency; h != nil && h.Count() > 0 {
			for _, p := range benchkit.Percentiles {
				row = append(row, fmtDuration(h.Percentile(p.P)))
			}
			row = append(row, fmtDuration(h.Max()))
		} else {
			for range len(benchkit.Percentiles) + 1 {
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
		for i, c := range res.clients {
			rows = append(rows, []string{fmt.Sprintf("  client %d", i+1), commas(c.Msgs), fmtDuration(c.Duration()), commas(int64(c.Rate())), fmt.Sprintf("%.2f", c.MBps())})
		}
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
		if len(res.clients) > 1 {
			lo, mean, hi, sd := res.clients.RateStats()
			notes = append(notes, fmt.Sprintf("%s: per client min %s, avg %s, max %s, stddev %s msgs/s", res.name,
				commas(int64(lo)), commas(int64(mean)), commas(int64(hi)), commas(int64(sd))))
		}
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
	Pubs     int               `json:"pub"`
	Subs     int               `json:"sub"`
	Repliers int               `json:"repliers"`
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
	Clients     []benchJSONClient  `json:"clients,omitempty"`
	LatencyUS   map[string]float64 `json:"latency_us,omitempty"`
	Notes       []string           `json:"notes,omitempty"`
	Interrupted bool               `json:"interrupted,omitempty"`
}

type benchJSONClient struct {
	Msgs       int64   `json:"msgs"`
	Seconds    float64 `json:"seconds"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
}

// writeJSON prints the report for programs.
func (r *benchReport) writeJSON(w io.Writer) error {
	doc := benchJSON{
		Client: "starling " + core.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs:   runtime.NumCPU(),
		Server: benchJSONServer{URL: r.url, Version: r.serverVersion, Embedded: r.embedded},
		Size:   r.cfg.size, Subject: r.cfg.subject, Owned: r.cfg.owned, Inflight: r.cfg.inflight,
		Pubs: r.cfg.pubs, Subs: r.cfg.subs, Repliers: r.cfg.repliers,
		Results: []benchJSONResult{},
	}
	for _, res := range r.results {
		t := res.total
		j := benchJSONResult{
			Section: res.section, Name: res.name, Msgs: t.Msgs, Seconds: t.Duration().Seconds(),
			MsgsPerSec: t.Rate(), MBPerSec: t.MBps(), Lost: res.lost, Notes: res.notes,
			Interrupted: res.interrupted,
		}
		for _, c := range res.clients {
			j.Clients = append(j.Clients, benchJSONClient{Msgs: c.Msgs, Seconds: c.Duration().Seconds(), MsgsPerSec: c.Rate()})
		}
		if h := res.latency; h != nil && h.Count() > 0 {
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			j.LatencyUS = map[string]float64{"min": us(h.Min()), "mean": us(h.Mean()), "max": us(h.Max())}
			for _, p := range benchkit.Percentiles {
				j.LatencyUS[p.Name] = us(h.Percentile(p.P))
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
