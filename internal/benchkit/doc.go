// Package benchkit is the measurement kit shared by "starling bench" and
// interop/bench, so that the command and the library's benchmark count the
// same way: a run's rate is its messages over the time from its first
// operation to the moment the last one is accounted for (flushed, received
// or answered), clients that run at once are summed over the span they
// cover together, and latencies go to an HDR histogram
// (github.com/HdrHistogram/hdrhistogram-go) whose percentiles are exact to
// three significant digits whatever the spread.
//
// It is internal: a benchmark's tooling, not part of the client's API.
package benchkit
