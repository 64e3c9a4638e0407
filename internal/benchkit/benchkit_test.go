package benchkit_test

import (
	"math"
	"testing"
	"time"

	"github.com/starling-nats/starling/internal/benchkit"
)

func TestLatencyPercentiles(t *testing.T) {
	l := benchkit.NewLatency()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Microsecond)
	}
	if got := l.Count(); got != 1000 {
		t.Fatalf("Count = %d, want 1000", got)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Microsecond}, {99, 990 * time.Microsecond}, {100, 1000 * time.Microsecond}} {
		got := l.Percentile(c.p)
		// Three significant digits: within 0.1 %.
		if diff := math.Abs(float64(got-c.want)) / float64(c.want); diff > 0.001 {
			t.Errorf("Percentile(%v) = %v, want %v within 0.1%%", c.p, got, c.want)
		}
	}
	if l.Min() != time.Microsecond {
		t.Errorf("Min = %v", l.Min())
	}
	if m := l.Mean(); m < 499*time.Microsecond || m > 502*time.Microsecond {
		t.Errorf("Mean = %v, want about 500.5µs", m)
	}
}

func TestLatencyClampsAndMerges(t *testing.T) {
	a, b := benchkit.NewLatency(), benchkit.NewLatency()
	a.Record(-time.Second)
	a.Record(0)
	b.Record(2 * time.Hour)
	a.Merge(b)
	if a.Count() != 3 || a.Clamped() != 1 {
		t.Fatalf("Count %d, Clamped %d, want 3 and 1", a.Count(), a.Clamped())
	}
	if a.Min() != 1 {
		t.Errorf("Min = %v, want 1ns", a.Min())
	}
	if mx := a.Max(); mx < time.Minute-time.Minute/1000 || mx > time.Minute+time.Minute/1000 {
		t.Errorf("Max = %v, want a minute", mx)
	}
	a.Reset()
	if a.Count() != 0 || a.Clamped() != 0 || a.Percentile(50) != 0 {
		t.Errorf("after Reset: Count %d Clamped %d p50 %v", a.Count(), a.Clamped(), a.Percentile(50))
	}
}

func TestLatencyRecordAllocatesNothing(t *testing.T) {
	l := benchkit.NewLatency()
	d := time.Duration(1)
	if n := testing.AllocsPerRun(1000, func() { d = d*3 + 7; l.Record(d % time.Second) }); n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}

func TestGroupTotalAndStats(t *testing.T) {
	t0 := time.Unix(100, 0)
	g := benchkit.Group{
		{Msgs: 1000, Bytes: 16000, Start: t0, End: t0.Add(time.Second)},
		{Msgs: 3000, Bytes: 48000, Start: t0.Add(500 * time.Millisecond), End: t0.Add(2 * time.Second)},
	}
	tot := g.Total()
	if tot.Msgs != 4000 || tot.Duration() != 2*time.Second || tot.Rate() != 2000 || tot.MBps() != 0.032 {
		t.Fatalf("Total = %+v rate %v MB/s %v", tot, tot.Rate(), tot.MBps())
	}
	lo, mean, hi, sd := g.RateStats()
	if lo != 1000 || hi != 2000 || mean != 1500 || sd != 500 {
		t.Fatalf("RateStats = %v %v %v %v", lo, mean, hi, sd)
	}
	if lo, mean, hi, sd := (benchkit.Group{}).RateStats(); lo+mean+hi+sd != 0 {
		t.Fatal("empty group has stats")
	}
	if r := (benchkit.Sample{Msgs: 5}).Rate(); r != 0 {
		t.Fatalf("empty span rate %v", r)
	}
}

func TestMedianAndSplit(t *testing.T) {
	if m := benchkit.Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("Median odd = %v", m)
	}
	if m := benchkit.Median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("Median even = %v", m)
	}
	if !math.IsNaN(benchkit.Median(nil)) {
		t.Error("Median of nothing is not NaN")
	}
	got := benchkit.Split(10, 3)
	if len(got) != 3 || got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Errorf("Split(10, 3) = %v", got)
	}
	if benchkit.Split(10, 0) != nil {
		t.Error("Split over no clients")
	}
}
