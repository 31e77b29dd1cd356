package benchpair

import (
	"slices"
	"strings"
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

// Versus adds the ratio to another variant than the baseline: a floor.
func TestRunReportsVersus(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) {
		Run(b, 5,
			Serial("base", func() { spin(100 * time.Microsecond) }),
			Serial("floor", func() { spin(200 * time.Microsecond) }),
			Serial("cand", func() { spin(300 * time.Microsecond) }).Against("floor"))
	})
	if got := r.Extra["cand/floor"]; got < 1.2 || got > 2 {
		t.Fatalf("cand/floor = %v, want about 1.5; extra %v", got, r.Extra)
	}
	if got := r.Extra["cand/base"]; got < 2 || got > 4.5 {
		t.Fatalf("cand/base = %v, want about 3; extra %v", got, r.Extra)
	}
	if _, ok := r.Extra["floor/cand"]; ok {
		t.Fatalf("a ratio nobody asked for: %v", r.Extra)
	}
}

// No variant always runs right after the same one: what a block leaves
// behind must not fall on one variant only. With a fixed rotation (the
// order shifted by one each round) every variant would have one
// predecessor only.
func TestRunVariesTheOrder(t *testing.T) {
	var seq []int
	block := func(i int) func(int) { return func(int) { seq = append(seq, i) } }
	vs := []Variant{{Name: "a", Block: block(0)}, {Name: "b", Block: block(1)}, {Name: "c", Block: block(2)}, {Name: "d", Block: block(3)}}
	testing.Benchmark(func(b *testing.B) { Run(b, 1, vs...) })
	seq = seq[len(vs):] // the warm-up round
	if len(seq) < 12*len(vs) {
		t.Fatalf("%d blocks ran, want many rounds", len(seq))
	}
	preds := make([]map[int]bool, len(vs))
	for i := range preds {
		preds[i] = map[int]bool{}
	}
	for r := 0; r+len(vs) <= len(seq); r += len(vs) {
		round := seq[r : r+len(vs)]
		seen := map[int]bool{}
		for j, k := range round {
			seen[k] = true
			if j > 0 {
				preds[k][round[j-1]] = true
			}
		}
		if len(seen) != len(vs) {
			t.Fatalf("round %v does not run every variant once", round)
		}
	}
	for k, p := range preds {
		if len(p) < 2 {
			t.Errorf("variant %s always follows the same one: %v", vs[k].Name, p)
		}
	}
}

func TestCheckRefusesBadArguments(t *testing.T) {
	v := func(name string) Variant { return Serial(name, func() {}) }
	for _, tc := range []struct {
		n    int
		vs   []Variant
		want string
	}{
		{0, []Variant{v("a"), v("b")}, "at least 1"},
		{1, []Variant{v("a")}, "2 or more"},
		{1, []Variant{v("a"), v("a")}, `"a" is empty or repeated`},
		{1, []Variant{v("a"), v("")}, `"" is empty`},
		{1, []Variant{v("a"), v("b").Against("c")}, `Versus "c" names no other variant`},
		{1, []Variant{v("a"), v("b").Against("b")}, `Versus "b"`},
	} {
		if _, err := check(tc.n, tc.vs); !strings.Contains(err, tc.want) {
			t.Errorf("check(%d, %d variants) = %q, want %q", tc.n, len(tc.vs), err, tc.want)
		}
	}
	if _, err := check(1, []Variant{v("a"), v("b").Against("a")}); err != "" {
		t.Errorf("valid arguments refused: %s", err)
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

// SeedEnv seeds the order of the blocks: one seed draws the same orders
// every time, another seed other orders; a malformed one is refused.
func TestSeedEnv(t *testing.T) {
	orders := func(seed string) []int {
		t.Setenv(SeedEnv, seed)
		var seq []int
		block := func(i int) func(int) { return func(int) { seq = append(seq, i) } }
		vs := []Variant{{Name: "a", Block: block(0)}, {Name: "b", Block: block(1)}, {Name: "c", Block: block(2)}}
		testing.Benchmark(func(b *testing.B) { Run(b, 1, vs...) })
		// testing.Benchmark calls Run with b.N 1 (a warm-up and 3 rounds),
		// then with b.N of 100 or more: the first 10 rounds of that call
		// are the same whatever its b.N.
		if n := 4*len(vs) + len(vs) + 10*len(vs); len(seq) >= n {
			return seq[:n]
		}
		t.Fatalf("%d blocks ran", len(seq))
		return nil
	}
	one, again, two := orders("1"), orders("1"), orders("2")
	if !slices.Equal(one, again) {
		t.Errorf("seed 1 drew different orders twice")
	}
	if slices.Equal(one, two) {
		t.Errorf("seeds 1 and 2 drew the same orders: %v", one)
	}
	if !slices.Equal(orders(""), one) {
		t.Errorf("without %s the seed is not 1", SeedEnv)
	}
	t.Setenv(SeedEnv, "x")
	if _, err := seed(); err == nil || !strings.Contains(err.Error(), SeedEnv) {
		t.Errorf("seed() with %s=x: %v, want an error naming it", SeedEnv, err)
	}
}
