package main

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 1, 9, 9}, 1},
	} {
		in := append([]float64(nil), tc.xs...)
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.xs[i] {
				t.Fatalf("median reordered its input: %v, was %v", tc.xs, in)
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestBinomCDF(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want float64
	}{
		{0, 6, 1.0 / 64},
		{1, 10, 11.0 / 1024},
		{2, 10, 56.0 / 1024},
		{5, 20, 21700.0 / 1048576},
		{10, 10, 1},
		{-1, 10, 0},
		{50, 100, 0.5397946186935894},
	} {
		if got := binomCDF(tc.k, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("binomCDF(%d, %d) = %v, want %v", tc.k, tc.n, got, tc.want)
		}
	}
}

func TestMedianCI(t *testing.T) {
	seq := func(n int) []float64 { // n, n-1, …, 1: unsorted on purpose
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i)
		}
		return xs
	}
	for _, tc := range []struct {
		n      int
		lo, hi float64
		conf   float64
	}{
		// Fewer than 6 samples: the range, with its own coverage.
		{1, 1, 1, 0},
		{3, 1, 3, 0.75},
		{5, 1, 5, 1 - 2.0/32},
		// [x(k), x(n+1-k)], k the largest with coverage ≥ 95 %.
		{6, 1, 6, 1 - 2.0/64},
		{10, 2, 9, 1 - 2*11.0/1024},
		{20, 6, 15, 1 - 2*21700.0/1048576},
	} {
		got := medianCI(seq(tc.n), 0.95)
		if got.Lo != tc.lo || got.Hi != tc.hi || math.Abs(got.Conf-tc.conf) > 1e-12 {
			t.Errorf("n=%d: %+v, want [%v, %v] at %v", tc.n, got, tc.lo, tc.hi, tc.conf)
		}
		if tc.n >= 6 && got.Conf < 0.95 {
			t.Errorf("n=%d: coverage %v below 95%%", tc.n, got.Conf)
		}
	}
}

// On many draws from a known distribution, the interval covers the true
// median at least as often as it claims.
func TestMedianCICoverage(t *testing.T) {
	const trials, n = 2000, 10
	state := uint64(1)
	next := func() float64 { // a fixed LCG: exponential draws, median ln 2
		state = state*6364136223846793005 + 1442695040888963407
		return -math.Log(float64(state>>11+1) / (1 << 53))
	}
	covered := 0
	var conf float64
	for range trials {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = next()
		}
		ci := medianCI(xs, 0.95)
		conf = ci.Conf
		if ci.Lo <= math.Ln2 && math.Ln2 <= ci.Hi {
			covered++
		}
	}
	// Binomial(2000, 0.9785) has a standard deviation of 6.5: allow 4 of them.
	if got := float64(covered) / trials; got < conf-4*6.5/trials {
		t.Fatalf("covered the median in %.4f of trials, claims %.4f", got, conf)
	}
}

func TestPairedRatios(t *testing.T) {
	got := pairedRatios([]float64{110, 90, 0, 120}, []float64{100, 100, 100})
	want := []float64{1.1, 0.9}
	if len(got) != len(want) {
		t.Fatalf("pairedRatios = %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("pairedRatios = %v, want %v", got, want)
		}
	}
}

// The ratio is taken on the unit -metric names: a candidate slower in
// wall time but cheaper in CPU time is below 1× on cpu-ns/op.
func TestSummarizeOnMetric(t *testing.T) {
	res := func(ns, cpu float64) result {
		return result{Values: map[string]float64{"ns/op": ns, "cpu-ns/op": cpu}}
	}
	sm := &samples{subs: []string{"base", "cand"}, byName: map[string][]result{
		"base": {res(100, 80), res(100, 80), res(100, 80)},
		"cand": {res(120, 60), res(120, 60), res(120, 60)},
	}}
	if s := summarize(sm, 0.95, "ns/op")[1]; s.Ratio != 1.2 {
		t.Fatalf("ns/op ratio %v, want 1.2", s.Ratio)
	}
	if s := summarize(sm, 0.95, "cpu-ns/op")[1]; s.Ratio != 0.75 || s.Metric != 60 || s.Faster != 3 {
		t.Fatalf("cpu-ns/op ratio %v (median %v, faster %d), want 0.75, 60, 3", s.Ratio, s.Metric, s.Faster)
	}
}
