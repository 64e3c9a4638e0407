package chaos_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/starling-nats/starling/chaos"
)

// A campaign of two minutes that replays the faults of seed 42, printing each fault
// as it happens and the report at the end.
func ExampleRun() {
	rep, err := chaos.Run(context.Background(), chaos.Config{
		Seed: 42, Duration: 2 * time.Minute, Log: os.Stderr, OutDir: "chaos-out",
	})
	if err != nil {
		fmt.Println("the campaign could not run:", err)
		return
	}
	fmt.Print(rep)
	if !rep.OK() {
		fmt.Println("see", rep.HistoryFile, "and", rep.TimelineFile)
	}
}

// The schedule of a seed, without running anything.
func ExampleSchedule() {
	for _, f := range chaos.Schedule(7, 20*time.Second, chaos.DefaultPacing, 3, []chaos.Kind{chaos.Kill, chaos.Freeze}) {
		fmt.Println(f.Kind, "node", f.Node+1)
	}
	// Output:
	// kill node 1
	// freeze node 3
	// freeze node 2
}

// A 30-minute soak, its heap and goroutines sampled each minute.
func ExampleSoak() {
	rep, err := chaos.Soak(context.Background(), chaos.SoakConfig{Duration: 30 * time.Minute, Log: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(rep)
}
