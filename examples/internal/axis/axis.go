// Package axis rounds the top of a chart's axis up to a number that
// divides into round ticks, for the SVG charts the examples draw.
package axis

// Ceil rounds v up to 1, 2 or 5 times a power of ten; 1 for v ≤ 1.
func Ceil(v float64) float64 {
	p := 1.0
	for {
		for _, m := range []float64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
		p *= 10
	}
}

// CeilSeconds rounds s (seconds) up to a round number of seconds that
// divides into five ticks; 0.01 for s ≤ 0.01.
func CeilSeconds(s float64) float64 {
	p := 0.01
	for {
		for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8} {
			if m*p >= s {
				return m * p
			}
		}
		p *= 10
	}
}
