package benchpair

import (
	"testing"
	"time"
)

// A Burner asked for 20 µs takes about that long, and one asked for more
// takes longer: the calibration follows the machine, not a constant.
func TestBurnerTakesItsTime(t *testing.T) {
	short, long := NewBurner(20*time.Microsecond), NewBurner(200*time.Microsecond)
	if short.steps <= 0 || long.steps < 5*short.steps {
		t.Fatalf("steps: %d for 20 µs, %d for 200 µs; want the second about ten times the first", short.steps, long.steps)
	}
	best := time.Duration(1<<63 - 1)
	for range 20 {
		start := time.Now()
		short.Burn()
		best = min(best, time.Since(start))
	}
	if best < 5*time.Microsecond || best > 100*time.Microsecond {
		t.Fatalf("fastest of 20 burns of 20 µs took %v", best)
	}
	var zero Burner
	zero.Burn() // burns nothing
}
