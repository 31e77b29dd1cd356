package benchpair

import (
	"testing"
	"time"
)

// A variant that spins twice as long per operation measures about twice
// the first's time, and the ratio is reported under its name.
func TestRunReportsMediansAndRatios(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) {
		Run(b, 5,
			Serial("fast", func() { spin(100 * time.Microsecond) }),
			Serial("slow", func() { spin(200 * time.Microsecond) }))
	})
	ratio, ok := r.Extra["slow/fast"]
	if !ok || ratio < 1.3 || ratio > 3 {
		t.Fatalf("slow/fast = %v (%v), want about 2; extra %v", ratio, ok, r.Extra)
	}
	if r.Extra["fast-ns/op"] < 100e3 || r.Extra["slow-ns/op"] < 200e3 {
		t.Fatalf("medians %v, want at least the sleeps", r.Extra)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Fatalf("median of 3 1 2 = %v", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Fatalf("median of 4 1 2 3 = %v", m)
	}
}

func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}
