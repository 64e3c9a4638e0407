package wscompare

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user+system CPU time this process has used. On a shared machine,
// CPU per operation holds where wall time per operation swings with other load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU used since start per operation as "cpu-ns/op".
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
