package axis

import "testing"

func TestCeil(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{-3, 1}, {0, 1}, {1, 1}, {1.5, 2}, {2, 2}, {3, 5}, {5, 5}, {6, 10}, {11, 20}, {4999, 5000}, {5001, 10000},
	} {
		if got := Ceil(c.in); got != c.want {
			t.Errorf("Ceil(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCeilSeconds(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{0, 0.01}, {0.01, 0.01}, {0.011, 0.015}, {0.1, 0.1}, {0.7, 0.8}, {0.9, 1}, {7, 8}, {9, 10}, {33, 40},
	} {
		if got := CeilSeconds(c.in); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("CeilSeconds(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
