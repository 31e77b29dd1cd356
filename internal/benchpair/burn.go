package benchpair

import (
	"runtime"
	"time"
)

// Burner spends a known amount of CPU on the calling goroutine: a
// calibration variant, an operation plus Burn, measures what that much
// work on the operation's path costs in the benchmark's ratios, the scale
// on which another variant's ratio reads as microseconds of work. The zero
// value burns nothing.
type Burner struct{ steps int }

// NewBurner returns a Burner whose Burn takes about d here, timed now:
// the fastest of five timed runs of a million steps, so that a run slowed
// by other work does not inflate the count. d must be positive.
func NewBurner(d time.Duration) Burner {
	const steps = 1 << 20
	best := time.Duration(1<<63 - 1)
	for range 5 {
		start := time.Now()
		burn(steps)
		best = min(best, time.Since(start))
	}
	return Burner{steps: max(1, int(float64(steps)*float64(d)/float64(max(best, 1))))}
}

// Burn spends the Burner's time.
func (b Burner) Burn() { burn(b.steps) }

// burn runs n steps of a dependent multiply-add chain, which neither
// allocates nor touches memory.
func burn(n int) {
	x := uint64(n) | 1
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	runtime.KeepAlive(x)
}
