package httpx_test

import (
	"net/http"
	"runtime"
	"time"
)

// burnTransport spends a known amount of CPU on the calling goroutine
// before each request. Over "traced" it is a calibration: its ratio to
// "traced" is what that much client CPU per request measures as, which
// puts the other ratios of the paired benchmark in microseconds of work.
type burnTransport struct {
	base  http.RoundTripper
	iters int // burn's iterations: about the CPU time asked of burnIters
}

func (t burnTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	burn(t.iters)
	return t.base.RoundTrip(req)
}

// burn runs n steps of a dependent multiply-add chain, which neither
// allocates nor touches memory.
func burn(n int) {
	x := uint64(n) | 1
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	runtime.KeepAlive(x)
}

// burnIters returns how many steps of burn take about d here: the
// fastest of five timed runs of a million steps, so that a run slowed by
// other work does not inflate the count.
func burnIters(d time.Duration) int {
	const steps = 1 << 20
	best := time.Duration(1<<63 - 1)
	for range 5 {
		start := time.Now()
		burn(steps)
		best = min(best, time.Since(start))
	}
	return max(1, int(float64(steps)*float64(d)/float64(best)))
}
