package main

import (
	"math"
	"slices"
)

// median returns the median of xs (the mean of the two middle values for
// an even count), or NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// An interval is a confidence interval for a median: [Lo, Hi] covers the
// true median with probability at least Conf.
type interval struct {
	Lo, Hi, Conf float64
}

// medianCI returns the distribution-free confidence interval for the
// median of xs built from order statistics: [x(k), x(n+1-k)] for the
// largest k whose coverage, 1 − 2·P(Binomial(n, ½) ≤ k−1), is at least
// level. It assumes only independent samples from one continuous
// distribution. With too few samples for level (fewer than 6 for 95 %)
// it returns the full range [min, max] and that range's own, lower,
// coverage, 1 − 2·½ⁿ. With no sample it returns NaNs and Conf 0.
func medianCI(xs []float64, level float64) interval {
	n := len(xs)
	if n == 0 {
		return interval{math.NaN(), math.NaN(), 0}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := 1
	for k+1 <= n/2 && 1-2*binomCDF(k, n) >= level {
		k++
	}
	return interval{s[k-1], s[n-k], 1 - 2*binomCDF(k-1, n)}
}

// binomCDF returns P(X ≤ k) for X ~ Binomial(n, ½).
func binomCDF(k, n int) float64 {
	if k < 0 {
		return 0
	}
	if k >= n {
		return 1
	}
	sum := 0.0
	lnHalfN := float64(n) * math.Ln2
	lgN, _ := math.Lgamma(float64(n + 1))
	for i := 0; i <= k; i++ {
		lgI, _ := math.Lgamma(float64(i + 1))
		lgNI, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lgN - lgI - lgNI - lnHalfN)
	}
	return min(sum, 1)
}

// pairedRatios returns cand[i]/base[i] for every round where both are
// present (positive).
func pairedRatios(cand, base []float64) []float64 {
	var rs []float64
	for i := range min(len(cand), len(base)) {
		if cand[i] > 0 && base[i] > 0 {
			rs = append(rs, cand[i]/base[i])
		}
	}
	return rs
}
