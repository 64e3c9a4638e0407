package main

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine is the report's machine line.
type machine struct {
	cpu       string
	cores     int
	goVersion string
	server    string
	loadStart string
	loadEnd   string
	date      time.Time
}

func newMachine(serverVersion string) machine {
	return machine{
		cpu:       cpuModel(),
		cores:     runtime.NumCPU(),
		goVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		server:    serverVersion,
		loadStart: loadAverage(),
		date:      time.Now().UTC(),
	}
}

// cpuModel reads the first "model name" of /proc/cpuinfo, or names the
// architecture where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAverage returns the 1, 5 and 15 minute load averages of
// /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
