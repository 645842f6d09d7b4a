// Package benchtest measures a benchmark against a baseline run in the
// same benchmark, for the project's speed targets, which are ratios to a
// bare standard-library loop and never wall-clock limits.
package benchtest

import (
	"runtime"
	"testing"
	"time"
)

// VsBaseline runs base and f in turn, b.N times each, over an input of
// size bytes, and reports the throughput of f as a ratio of base's:
// "x-baseline", 1 when they are as fast, higher is better. Taking turns in
// one benchmark lets a busy machine slow both alike; each starts after a
// collection, and they swap places every round, so that neither pays for
// the other's garbage.
func VsBaseline(b *testing.B, size int, base, f func(b *testing.B)) {
	b.SetBytes(int64(size))
	var tb, tf time.Duration
	timed := func(g func(b *testing.B)) time.Duration {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		g(b)
		return time.Since(start)
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			tb += timed(base)
			tf += timed(f)
		} else {
			tf += timed(f)
			tb += timed(base)
		}
	}
	b.ReportMetric(float64(tb)/float64(tf), "x-baseline")
}
