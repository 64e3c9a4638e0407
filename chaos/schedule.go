package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Kind is a kind of fault.
type Kind string

// The faults the nemesis injects. Each acts on one node (the stepdown on the stream's
// leader, whichever it is) and is healed before the next begins, so two of the three
// nodes always form a quorum once the fault is healed.
const (
	Kill            Kind = "kill"             // SIGKILL, then restart with the same store
	Freeze          Kind = "freeze"           // SIGSTOP, then SIGCONT
	ClientCut       Kind = "client-cut"       // reset the clients' links to the node, refuse new ones
	ClientBlackhole Kind = "client-blackhole" // hold every byte between the clients and the node
	RouteCut        Kind = "route-cut"        // reset the node's routes to its peers
	RouteBlackhole  Kind = "route-blackhole"  // hold every byte between the node and its peers
	RouteDelay      Kind = "route-delay"      // delay the node's route traffic (Fault.Delay each way)
	Stepdown        Kind = "stepdown"         // $JS.API.STREAM.LEADER.STEPDOWN.<stream>
)

// AllKinds lists every kind of fault, in the order Schedule draws from.
var AllKinds = []Kind{Kill, Freeze, ClientCut, ClientBlackhole, RouteCut, RouteBlackhole, RouteDelay, Stepdown}

// Fault is one entry of the nemesis's schedule.
type Fault struct {
	At    time.Duration // when it begins, since the run began
	Kind  Kind
	Node  int           // 0-based; ignored by Stepdown
	Hold  time.Duration // how long it lasts before it is healed
	Delay time.Duration // RouteDelay only: the added delay each way
}

func (f Fault) String() string {
	s := fmt.Sprintf("%v %s n%d for %v", f.At.Round(time.Millisecond), f.Kind, f.Node+1, f.Hold.Round(time.Millisecond))
	if f.Kind == Stepdown {
		s = fmt.Sprintf("%v %s", f.At.Round(time.Millisecond), f.Kind)
	}
	if f.Delay > 0 {
		s += fmt.Sprintf(" (+%v)", f.Delay)
	}
	return s
}

// Pacing bounds the schedule: the first fault begins after Warmup, a fault holds for
// [MinHold, MaxHold), faults are [MinGap, MaxGap) apart, and the last is healed
// Cooldown before the end.
type Pacing struct {
	Warmup, Cooldown time.Duration
	MinHold, MaxHold time.Duration
	MinGap, MaxGap   time.Duration
}

// DefaultPacing is the pacing of Run unless Config.Pacing says otherwise.
var DefaultPacing = Pacing{
	Warmup: 3 * time.Second, Cooldown: 3 * time.Second,
	MinHold: time.Second, MaxHold: 5 * time.Second,
	MinGap: time.Second, MaxGap: 3 * time.Second,
}

// Schedule draws the faults of a run of length d from seed: the same seed, length,
// pacing, node count and kinds give the same schedule.
func Schedule(seed int64, d time.Duration, p Pacing, nodes int, kinds []Kind) []Fault {
	if len(kinds) == 0 || nodes < 1 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	between := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}
	var out []Fault
	at := p.Warmup
	for {
		f := Fault{At: at, Kind: kinds[rng.IntN(len(kinds))], Node: rng.IntN(nodes), Hold: between(p.MinHold, p.MaxHold)}
		if f.Kind == RouteDelay {
			f.Delay = between(50*time.Millisecond, 500*time.Millisecond)
		}
		if f.Kind == Stepdown {
			f.Hold = 0
		}
		if f.At+f.Hold > d-p.Cooldown {
			return out
		}
		out = append(out, f)
		at = f.At + f.Hold + between(p.MinGap, p.MaxGap)
	}
}
