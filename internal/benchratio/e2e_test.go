package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/keepconn/keepconn/internal/netns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// End to end on testdata/fakebench: one compile, a listing run, then one
// process per sample, interleaved; "double" does twice base's work,
// "alloc" allocates once per op, and "netns" runs under netnstest.Run.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a test binary")
	}
	match := "^(double|alloc|nested/deeper|netns)$"
	withNetns := netns.Unavailable() == ""
	if !withNetns {
		if os.Getenv("KEEPCONN_REQUIRE_NETNS") == "1" {
			t.Fatal(netns.Unavailable())
		}
		match = "^(double|alloc|nested/deeper)$"
	}
	o, err := parseFlags(newFlagSet(), []string{"-pkg", "./testdata/fakebench", "-bench", "Fake",
		"-baseline", "base", "-match", match, "-n", "6", "-benchtime", "1000x",
		"-o", t.TempDir() + "/raw.txt"})
	if err != nil {
		t.Fatal(err)
	}
	var out, progress bytes.Buffer
	sm, err := measureAndReport(context.Background(), o, &out, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.Bytes())
	}
	t.Logf("\n%s", out.Bytes())
	wantSubs := []string{"base", "double", "alloc", "nested/deeper"}
	if withNetns {
		wantSubs = append(wantSubs, "netns")
	}
	if strings.Join(sm.subs, ",") != strings.Join(wantSubs, ",") {
		t.Fatalf("compared %q, want %q", sm.subs, wantSubs)
	}
	// Six samples of each, one process each, in alternating order.
	if len(sm.ran) != 6*len(wantSubs) {
		t.Fatalf("ran %d processes, want %d: %q", len(sm.ran), 6*len(wantSubs), sm.ran)
	}
	last := len(wantSubs) - 1
	if sm.ran[0] != "0:base" || sm.ran[last] != "0:"+wantSubs[last] ||
		sm.ran[last+1] != "1:"+wantSubs[last] || sm.ran[2*last+1] != "1:base" {
		t.Errorf("order %q does not alternate", sm.ran)
	}
	if withNetns {
		pids := map[float64]bool{}
		for _, r := range sm.byName["netns"] {
			pids[r.Values["pid"]] = true
		}
		if len(pids) != 6 {
			t.Errorf("netns samples ran in %d processes, want 6", len(pids))
		}
	}
	sums := map[string]summary{}
	for _, s := range summarize(sm, 0.95, "ns/op") {
		sums[s.Name] = s
	}
	if a := sums["alloc"]; a.AllocsPerOp != 1 || a.BytesPerOp != 64 || sums["base"].AllocsPerOp != 0 {
		t.Errorf("allocs/op: alloc %v (%v B/op), base %v; want 1 (64), 0", a.AllocsPerOp, a.BytesPerOp, sums["base"].AllocsPerOp)
	}
	if d := sums["double"]; d.Rounds != 6 || !(d.Ratio > 0) || d.CI.Conf < 0.95 || math.IsNaN(d.CI.Lo) {
		t.Errorf("double: ratio %v over %d rounds, CI %+v; want 6 rounds, 95%%", d.Ratio, d.Rounds, d.CI)
	}
	// The ratio's value is checked on CPU time: the wall time of a
	// process-per-sample run moves with whatever else loads the machine
	// (other test packages, in CI), and can hide a 2× difference.
	cpu := map[string]summary{}
	for _, s := range summarize(sm, 0.95, "cpu-ns/op") {
		cpu[s.Name] = s
	}
	t.Logf("double: cpu-ns/op ratio %.3f", cpu["double"].Ratio)
	if d := cpu["double"]; d.Rounds != 6 || d.Ratio < 1.3 || d.Ratio > 3 {
		t.Errorf("double: cpu-ns/op ratio %v over %d rounds; want about 2, 6 rounds", d.Ratio, d.Rounds)
	}
	for _, want := range []string{"baseline", "double", "96.9%", "×"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, out.Bytes())
		}
	}
	raw, err := os.ReadFile(o.raw)
	if err != nil || bytes.Count(raw, []byte("\n")) != 6*len(wantSubs) {
		t.Errorf("raw file: %v, %d lines", err, bytes.Count(raw, []byte("\n")))
	}
}

// -paired runs the whole in-process comparison once a run and reports the
// ratios it printed, with the median over runs and its interval.
func TestEndToEndPaired(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a test binary")
	}
	o, err := parseFlags(newFlagSet(), []string{"-pkg", "./testdata/fakebench", "-bench", "FakePaired",
		"-paired", "-n", "6", "-benchtime", "200x", "-o", t.TempDir() + "/raw.txt"})
	if err != nil {
		t.Fatal(err)
	}
	var out, progress bytes.Buffer
	if err := run(context.Background(), o, &out, &progress); err != nil {
		t.Fatalf("%v\n%s", err, progress.Bytes())
	}
	t.Logf("\n%s", out.Bytes())
	for _, want := range []string{"double/base", "triple/base", "triple/double", "96.9%", "median ns/op", "base ", "0/6"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasSuffix(f[1], "×") {
			continue
		}
		v, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "×"), 64)
		want := map[string]float64{"double/base": 2, "triple/base": 3, "triple/double": 1.5}[f[0]]
		if v < want*0.7 || v > want*1.3 {
			t.Errorf("%s = %v, want about %v", f[0], v, want)
		}
	}
	raw, err := os.ReadFile(o.raw)
	if err != nil || bytes.Count(raw, []byte("\n")) != 6 {
		t.Errorf("raw file: %v, %d lines, want 6", err, bytes.Count(raw, []byte("\n")))
	}
	seeds := map[float64]bool{} // each run drew its own block orders
	f := strings.Fields(string(raw))
	for i := 1; i < len(f); i++ {
		if f[i] == "seed/op" {
			v, _ := strconv.ParseFloat(f[i-1], 64)
			seeds[v] = true
		}
	}
	for i := range 6 {
		if !seeds[float64(i+1)] {
			t.Errorf("no run had seed %d (seeds %v): the runs do not get a seed each", i+1, seeds)
		}
	}
}
