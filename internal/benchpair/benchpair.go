// Package benchpair compares variants of one operation inside one
// benchmark process, in alternating blocks, so that whatever drifts on
// the machine (other load, frequency, a neighbour's noise) reaches every
// variant alike. Process-level interleaving (internal/benchratio) cancels
// slow drift; blocks of a few tens of milliseconds cancel the fast kind
// too, which on a small shared VM is wider than the differences measured.
// With ProfileEnv set, Run also writes a CPU profile whose samples are
// labelled by variant, so that where the difference goes can be read from
// one profile sampled under the same conditions.
package benchpair

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Variant is one way of doing the operation: Block does it n times.
type Variant struct {
	Name  string
	Block func(n int)
	// Versus names another variant of the same Run: the ratio of this
	// one's time to that one's is reported too ("<Name>/<Versus>"), for a
	// comparison with a floor rather than with the baseline. Empty: only
	// the ratio to the baseline.
	Versus string
}

// Serial makes a Variant that calls op n times in a row.
func Serial(name string, op func()) Variant {
	return Variant{Name: name, Block: func(n int) {
		for range n {
			op()
		}
	}}
}

// Against returns v with Versus set to the name of another variant.
func (v Variant) Against(name string) Variant {
	v.Versus = name
	return v
}

// Run runs b.N operations of every variant in rounds of one block of n
// operations each, after one warm-up round. The first variant is the
// baseline. Each round runs the blocks in an order drawn afresh (a
// shuffle seeded by SeedEnv, 1 without it), so no variant always follows
// the same one: what a block leaves behind (TIME_WAIT sockets, a cold
// cache, a collection it made due) falls on every variant alike.
//
// It reports, per variant, the median ns per operation over its blocks
// ("<name>-ns/op"); for each variant after the first, the median over the
// rounds of its block time divided by the baseline's in the same round
// ("<name>/<baseline>"); and likewise "<name>/<versus>" for a variant
// with Versus set. b's own ns/op counts the operations of all variants.
// At least 3 rounds run whatever b.N is. Run fails b on a Versus that
// names no variant, a repeated name, fewer than two variants, n < 1, a
// malformed SeedEnv or a profile (ProfileEnv) it cannot write.
func Run(b *testing.B, n int, vs ...Variant) {
	b.Helper()
	index, err := check(n, vs)
	if err != "" {
		b.Fatal("benchpair: " + err)
	}
	sd, serr := seed()
	if serr != nil {
		b.Fatal("benchpair: " + serr.Error())
	}
	prof := profileFromEnv()
	for _, v := range vs {
		prof.run(v, n)
	}
	if err := prof.start(); err != nil {
		b.Fatal("benchpair: " + err.Error())
	}
	defer func() {
		if err := prof.stop(); err != nil {
			b.Error("benchpair: " + err.Error())
		}
	}()
	b.ResetTimer()
	rounds := max((b.N+n-1)/n, 3)
	times := make([][]float64, len(vs)) // [variant][round] ns per operation
	rng := rand.New(rand.NewPCG(sd, uint64(len(vs))))
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	for range rounds {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			start := time.Now()
			prof.run(vs[k], n)
			times[k] = append(times[k], float64(time.Since(start).Nanoseconds())/float64(n))
		}
	}
	b.StopTimer()
	for k, v := range vs {
		b.ReportMetric(median(times[k]), v.Name+"-ns/op")
		if k > 0 {
			b.ReportMetric(median(ratios(times[k], times[0])), v.Name+"/"+vs[0].Name)
		}
		if j, ok := index[v.Versus]; ok && j != 0 {
			b.ReportMetric(median(ratios(times[k], times[j])), v.Name+"/"+v.Versus)
		}
	}
}

// SeedEnv names the environment variable that seeds the order of the
// blocks. Without it the seed is 1 and every process draws the same
// orders; internal/benchratio -paired gives each of its runs a seed of its
// own, so that the runs are independent draws of the order too, and an
// effect of one particular sequence of orders averages out across them.
const SeedEnv = "KEEPCONN_BENCHPAIR_SEED"

// seed is the seed SeedEnv sets, or 1.
func seed() (uint64, error) {
	v := os.Getenv(SeedEnv)
	if v == "" {
		return 1, nil
	}
	sd, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want an unsigned integer", SeedEnv, v)
	}
	return sd, nil
}

// check validates Run's arguments and returns the variants' indexes by
// name, or what is wrong.
func check(n int, vs []Variant) (map[string]int, string) {
	if n <= 0 || len(vs) < 2 {
		return nil, "want 2 or more variants in blocks of at least 1 operation"
	}
	index := make(map[string]int, len(vs))
	for i, v := range vs {
		if _, dup := index[v.Name]; dup || v.Name == "" {
			return nil, "variant name " + `"` + v.Name + `"` + " is empty or repeated"
		}
		index[v.Name] = i
	}
	for _, v := range vs {
		if _, ok := index[v.Versus]; v.Versus != "" && (!ok || v.Versus == v.Name) {
			return nil, "variant " + v.Name + ": Versus " + `"` + v.Versus + `"` + " names no other variant"
		}
	}
	return index, ""
}

// ratios is cand[i]/base[i] for each round i.
func ratios(cand, base []float64) []float64 {
	out := make([]float64, len(cand))
	for i := range cand {
		out[i] = cand[i] / base[i]
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
