package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Report is a campaign's outcome.
type Report struct {
	Seed     int64
	Duration time.Duration
	Schedule []Fault
	// Faults counts the faults injected, by kind; FaultErrors those the harness could
	// not apply or the server refused (a stepdown without a leader, ...).
	Faults      map[Kind]int
	FaultErrors int
	Stream      StreamResult
	KV          *KVResult // nil when the campaign ran no KV clients
	kvLin       *lin
	// Problems lists every violation with the offending operations; empty when the
	// run passed.
	Problems []string
	// HistoryFile and TimelineFile are set when they were written.
	HistoryFile, TimelineFile string
	History                   []Op
}

// OK reports whether the checker found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// String is the report in a few lines, the seed first.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %v of faults and traffic\n", r.Seed, r.Duration)
	kinds := make([]string, 0, len(r.Faults))
	total := 0
	for k, n := range r.Faults {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		total += n
	}
	sort.Strings(kinds)
	fmt.Fprintf(&b, "faults: %d (%s), %d not applied\n", total, strings.Join(kinds, ", "), r.FaultErrors)
	s := r.Stream
	fmt.Fprintf(&b, "stream: %d publishes: %d acked, %d refused, %d unknown (%d of them stored); %d stored\n",
		s.Publishes, s.Acked, s.Failed, s.Unknown, s.UnknownStored, s.Stored)
	fmt.Fprintf(&b, "stream: lost %d, duplicated %d, misplaced %d, refused-but-stored %d, strangers %d\n",
		s.Lost, s.Duplicated, s.Misplaced, s.RefusedStored, s.Strangers)
	if s.Consumed > 0 || s.Redelivered > 0 {
		fmt.Fprintf(&b, "consumer: %d delivered, %d double acks confirmed, %d redelivered after a confirmed double ack, %d acked publishes never delivered\n",
			s.Consumed, s.DoubleAcked, s.Redelivered, s.NeverDelivered)
	}
	if len(s.UnknownCauses) > 0 {
		fmt.Fprintf(&b, "unknown outcomes by cause: %s\n", strings.Join(s.UnknownCauses, "; "))
	}
	if r.KV != nil {
		b.WriteString(r.KV.String())
	}
	if r.OK() {
		b.WriteString("verdict: PASS\n")
	} else {
		fmt.Fprintf(&b, "verdict: FAIL, %d problems:\n", len(r.Problems))
		for i, p := range r.Problems {
			if i == 50 {
				fmt.Fprintf(&b, "  ... and %d more (see the history)\n", len(r.Problems)-i)
				break
			}
			b.WriteString("  " + p + "\n")
		}
	}
	if r.HistoryFile != "" {
		fmt.Fprintf(&b, "history: %s\ntimeline: %s\n", r.HistoryFile, r.TimelineFile)
		if r.KV != nil && r.KV.VisualizationFile != "" {
			fmt.Fprintf(&b, "kv linearizability: %s\n", r.KV.VisualizationFile)
		}
	}
	return b.String()
}

// Run runs a campaign: it starts the cluster, runs the clients and the nemesis for
// cfg.Duration, heals every fault, checks the history and stops the cluster. The
// error is for a campaign that could not run (the cluster did not start, did not heal
// in time); a run that found violations returns a Report whose OK is false.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	cfg = cfg.withDefaults()
	fmt.Fprintf(cfg.Log, "chaos: seed %d (replay with: starling chaos --seed %d --duration %v)\n", cfg.Seed, cfg.Seed, cfg.Duration)
	e := newEnv(cfg.Log)
	defer e.close()
	rec := newRecorder()
	r, err := startRig(e, rec, cfg.Log)
	if err != nil {
		e.keepDirs = true
		return nil, err
	}
	rep = &Report{Seed: cfg.Seed, Duration: cfg.Duration, Faults: map[Kind]int{}}
	rep.Schedule = Schedule(cfg.Seed, cfg.Duration, *cfg.Pacing, nodes, cfg.Kinds)
	fmt.Fprintf(cfg.Log, "chaos: %d faults scheduled\n", len(rep.Schedule))
	rec.t0 = time.Now()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Publishers+max(cfg.KVClients, 0)+2)
	for w := range max(cfg.KVClients, 0) {
		wg.Go(func() {
			if err := r.kvClient(w+1, cfg.Seed, cfg.KVPause, stop); err != nil {
				errs <- err
			}
		})
	}
	for w := range cfg.Publishers {
		wg.Go(func() {
			if err := r.publisher(w+1, cfg.PublishPause, stop); err != nil {
				errs <- err
			}
		})
	}
	rd := newReader()
	healed, giveUp, consumerDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var consumerWG sync.WaitGroup
	consumerWG.Go(func() { consumerDone <- r.consume(rd, healed, giveUp, r.consumerDrained) })
	defer consumerWG.Wait() // before the cluster stops (e.close runs after)
	defer close(giveUp)
	nemesisDone := make(chan struct{})
	go func() {
		defer close(nemesisDone)
		for _, f := range rep.Schedule {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(time.Until(rec.t0.Add(f.At))):
			}
			r.inject(f)
		}
	}()
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	<-nemesisDone // the fault under way is healed before the clients stop
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	fmt.Fprintf(cfg.Log, "chaos: healing and checking\n")
	if err := r.heal(2 * time.Minute); err != nil {
		e.keepDirs = true
		return nil, fmt.Errorf("chaos: the cluster did not heal: %w", err)
	}
	close(healed)
	select {
	case err := <-consumerDone:
		if err != nil {
			return nil, err
		}
	case <-time.After(3 * time.Minute):
		rep.Problems = append(rep.Problems, "consumer: not drained 3 minutes after healing")
	}
	rep.History = rec.history()
	for _, op := range rep.History {
		if op.IsFault() {
			rep.Faults[Kind(op.F)]++
			if op.Outcome != OK {
				rep.FaultErrors++
			}
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var problems []string
	rep.Stream, problems, err = r.checkStream(cctx, rep.History)
	if err != nil {
		e.keepDirs = true
		return nil, err
	}
	rep.Problems = append(rep.Problems, problems...)
	rep.Problems = append(rep.Problems, rd.check(&rep.Stream, rep.History)...)
	if cfg.KVClients > 0 {
		rep.KV, problems, rep.kvLin, err = r.checkKV(cctx, rep.History, cfg.LinearizabilityTimeout)
		if err != nil {
			e.keepDirs = true
			return nil, err
		}
		rep.Problems = append(rep.Problems, problems...)
		rep.History = rec.history() // with the final reads
	}
	if !rep.OK() || cfg.KeepHistory {
		if err := rep.write(cfg); err != nil {
			return rep, err
		}
	}
	if !rep.OK() {
		e.keepDirs = true
	}
	return rep, nil
}

// write puts the history and its timeline in cfg.OutDir.
func (rep *Report) write(cfg Config) error {
	dir := cfg.OutDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", fmt.Sprintf("starling-chaos-%d-", rep.Seed)); err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	rep.HistoryFile = filepath.Join(dir, "history.jsonl")
	rep.TimelineFile = filepath.Join(dir, "timeline.html")
	if err := WriteHistory(rep.HistoryFile, rep.History); err != nil {
		return err
	}
	if err := WriteTimeline(rep.TimelineFile, rep.Seed, rep.History); err != nil {
		return err
	}
	if rep.KV != nil && rep.kvLin != nil && rep.KV.Verdict == "Illegal" {
		rep.KV.VisualizationFile = filepath.Join(dir, "kv-linearizability.html")
		return rep.kvLin.visualize(rep.KV.VisualizationFile)
	}
	return nil
}
