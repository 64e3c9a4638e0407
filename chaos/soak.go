package chaos

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// SoakConfig is a soak: clients under load whose connections are forced to reconnect
// every few seconds, while this process's heap and goroutines are sampled.
type SoakConfig struct {
	// Duration of the load. Default: DefaultSoakDuration.
	Duration time.Duration
	// ReconnectEvery is how often every connection is forced to reconnect
	// (core.Conn.ForceReconnect). Default: 3 s.
	ReconnectEvery time.Duration
	// SampleEvery is how often heap and goroutines are sampled. Default: 1 min.
	SampleEvery time.Duration
	// Warmup is how long before the heap baseline is taken. Default: SampleEvery.
	Warmup time.Duration
	// MaxHeapGrowth is the most the heap may grow past its baseline. Default: 16 MiB.
	MaxHeapGrowth uint64
	// Log receives a line per sample. Default: discarded.
	Log io.Writer
}

// DefaultSoakDuration is the soak the issue asks for.
const DefaultSoakDuration = 30 * time.Minute

// Sample is one measurement of this process.
type Sample struct {
	At         time.Duration
	HeapAlloc  uint64 // live heap after a GC
	Goroutines int
}

// SoakReport is a soak's outcome.
type SoakReport struct {
	Samples                []Sample
	Published, Received    int64
	JSAcked, JSUnknown     int64
	Reconnects             int64
	HeapBaseline, HeapPeak uint64 // after warm-up
	GoroutinesBefore       int    // before the clients started
	GoroutinesAfter        int    // after they closed
	Problems               []string
}

// OK reports whether the heap stayed flat and the goroutines came back to baseline.
func (r *SoakReport) OK() bool { return len(r.Problems) == 0 }

func (r *SoakReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d published, %d received, %d js acked (%d unknown), %d forced reconnects\n",
		r.Published, r.Received, r.JSAcked, r.JSUnknown, r.Reconnects)
	b.WriteString("soak: samples (time, live heap after a GC, goroutines):\n")
	for _, s := range r.Samples {
		fmt.Fprintf(&b, "  %8v  %7.2f MiB  %4d\n", s.At.Round(time.Second), float64(s.HeapAlloc)/(1<<20), s.Goroutines)
	}
	fmt.Fprintf(&b, "soak: heap baseline %.2f MiB, peak %.2f MiB after warm-up (growth %+.2f MiB); goroutines %d before, %d after\n",
		float64(r.HeapBaseline)/(1<<20), float64(r.HeapPeak)/(1<<20), (float64(r.HeapPeak)-float64(r.HeapBaseline))/(1<<20),
		r.GoroutinesBefore, r.GoroutinesAfter)
	if r.OK() {
		b.WriteString("soak: PASS\n")
	} else {
		b.WriteString("soak: FAIL: " + strings.Join(r.Problems, "; ") + "\n")
	}
	return b.String()
}

func sample(t0 time.Time) Sample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Sample{At: time.Since(t0), HeapAlloc: m.HeapAlloc, Goroutines: runtime.NumGoroutine()}
}

// Soak runs a JetStream server as a process (so its memory is not this process's),
// and against it two core publishers, a JetStream publisher with MsgIDs and a
// subscriber, every connection forced to reconnect every cfg.ReconnectEvery. It
// samples this process's live heap and goroutines every cfg.SampleEvery and fails
// when the heap grows more than cfg.MaxHeapGrowth past its post-warm-up baseline, or
// when the goroutines are not back to their count before the clients once they close.
func Soak(ctx context.Context, cfg SoakConfig) (rep *SoakReport, err error) {
	if cfg.Duration <= 0 {
		cfg.Duration = DefaultSoakDuration
	}
	if cfg.ReconnectEvery <= 0 {
		cfg.ReconnectEvery = 3 * time.Second
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = time.Minute
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = cfg.SampleEvery
	}
	if cfg.MaxHeapGrowth == 0 {
		cfg.MaxHeapGrowth = 16 << 20
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	e := newEnv(cfg.Log)
	defer e.close()
	defer catch(&err)
	s := harness.RunServer(e, harness.WithProcess(), harness.WithJetStream())
	rep = &SoakReport{}
	t0 := time.Now()
	first := sample(t0)
	rep.GoroutinesBefore = first.Goroutines

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := []core.Option{core.WithMaxReconnects(-1), core.WithReconnectWait(20*time.Millisecond, 200*time.Millisecond)}
	var conns []*core.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	defer closeAll()
	for i := range 4 {
		nc, err := core.Connect(sctx, s.ClientURL(), append(opts, core.WithName(fmt.Sprintf("soak-%d", i)))...)
		if err != nil {
			return nil, fmt.Errorf("chaos: soak: %w", err)
		}
		conns = append(conns, nc)
	}
	j, err := js.New(conns[2], js.WithTimeout(2*time.Second))
	if err != nil {
		return nil, err
	}
	if _, err := j.CreateStream(sctx, js.StreamConfig{Name: "SOAK", Subjects: []string{"soak.js"}, MaxMsgs: 10000}); err != nil {
		j.Close()
		return nil, fmt.Errorf("chaos: soak: %w", err)
	}
	var received atomic.Int64
	sub, err := conns[3].Subscribe("soak.>", func(*core.Msg) { received.Add(1) })
	if err != nil {
		j.Close()
		return nil, err
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var published, jsAcked, jsUnknown, reconnects atomic.Int64
	payload := make([]byte, 128)
	for _, nc := range conns[:2] {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if nc.Publish("soak.core", payload) == nil {
					published.Add(1)
				}
				if published.Load()%512 == 0 {
					time.Sleep(time.Millisecond) // load, not a flood that only measures buffers
				}
			}
		})
	}
	wg.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := j.Publish(pctx, "soak.js", payload, js.MsgID(fmt.Sprintf("soak-%d", k)))
			cancel()
			if err == nil {
				jsAcked.Add(1)
			} else {
				jsUnknown.Add(1)
			}
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(cfg.ReconnectEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, nc := range conns {
					if nc.ForceReconnect() == nil {
						reconnects.Add(1)
					}
				}
			}
		}
	})

	tick := time.NewTicker(cfg.SampleEvery)
	end := time.After(cfg.Duration)
	warm := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case <-tick.C:
			smp := sample(t0)
			rep.Samples = append(rep.Samples, smp)
			fmt.Fprintf(cfg.Log, "chaos: soak %v: heap %.2f MiB, %d goroutines\n", smp.At.Round(time.Second), float64(smp.HeapAlloc)/(1<<20), smp.Goroutines)
			if !warm && smp.At >= cfg.Warmup {
				warm, rep.HeapBaseline, rep.HeapPeak = true, smp.HeapAlloc, smp.HeapAlloc
			} else if warm {
				rep.HeapPeak = max(rep.HeapPeak, smp.HeapAlloc)
			}
		}
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	sub.Unsubscribe()
	j.Close()
	closeAll()
	rep.Published, rep.Received = published.Load(), received.Load()
	rep.JSAcked, rep.JSUnknown, rep.Reconnects = jsAcked.Load(), jsUnknown.Load(), reconnects.Load()

	// The clients' goroutines end shortly after Close; give them a moment.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep.GoroutinesAfter = sample(t0).Goroutines
		if rep.GoroutinesAfter <= rep.GoroutinesBefore || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !warm {
		rep.Problems = append(rep.Problems, fmt.Sprintf("no sample after the warm-up of %v: run longer", cfg.Warmup))
	} else if growth := int64(rep.HeapPeak) - int64(rep.HeapBaseline); growth > int64(cfg.MaxHeapGrowth) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("heap grew %.2f MiB after warm-up (limit %.0f MiB)", float64(growth)/(1<<20), float64(cfg.MaxHeapGrowth)/(1<<20)))
	}
	if rep.GoroutinesAfter > rep.GoroutinesBefore {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d goroutines after the clients closed, %d before", rep.GoroutinesAfter, rep.GoroutinesBefore))
	}
	if rep.Reconnects == 0 || rep.Received == 0 || rep.JSAcked == 0 {
		rep.Problems = append(rep.Problems, "no load: nothing received, acked or reconnected")
	}
	return rep, nil
}
