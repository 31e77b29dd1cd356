// Package benchpair compares variants of one operation inside one
// benchmark process, in alternating blocks, so that whatever drifts on
// the machine (other load, frequency, a neighbour's noise) reaches every
// variant alike. Process-level interleaving (internal/benchratio) cancels
// slow drift; blocks of a few tens of milliseconds cancel the fast kind
// too, which on a small shared VM is wider than the differences measured.
package benchpair

import (
	"slices"
	"testing"
	"time"
)

// Variant is one way of doing the operation: Block does it n times.
type Variant struct {
	Name  string
	Block func(n int)
}

// Serial makes a Variant that calls op n times in a row.
func Serial(name string, op func()) Variant {
	return Variant{Name: name, Block: func(n int) {
		for range n {
			op()
		}
	}}
}

// Run runs b.N operations of every variant in rounds of one block of n
// operations each, the order rotating from round to round, after one
// warm-up round. It reports, per variant, the median ns per operation
// over its blocks ("<name>-ns/op") and, for each variant after the first,
// the median over the rounds of its block time divided by the first's in
// the same round ("<name>/<first>"). b's own ns/op counts the operations
// of all variants. At least 3 rounds run whatever b.N is.
func Run(b *testing.B, n int, vs ...Variant) {
	b.Helper()
	if n <= 0 || len(vs) < 2 {
		b.Fatalf("benchpair: %d variants in blocks of %d; want 2 or more in blocks of at least 1", len(vs), n)
	}
	for _, v := range vs {
		v.Block(n)
	}
	b.ResetTimer()
	rounds := max((b.N+n-1)/n, 3)
	ns := make([][]float64, len(vs))
	ratios := make([][]float64, len(vs))
	for r := range rounds {
		times := make([]float64, len(vs))
		for i := range vs {
			k := (i + r) % len(vs)
			start := time.Now()
			vs[k].Block(n)
			times[k] = float64(time.Since(start).Nanoseconds()) / float64(n)
		}
		for k, t := range times {
			ns[k] = append(ns[k], t)
			ratios[k] = append(ratios[k], t/times[0])
		}
	}
	for k, v := range vs {
		b.ReportMetric(median(ns[k]), v.Name+"-ns/op")
		if k > 0 {
			b.ReportMetric(median(ratios[k]), v.Name+"/"+vs[0].Name)
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
