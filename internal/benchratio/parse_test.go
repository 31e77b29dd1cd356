package main

import (
	"slices"
	"strings"
	"testing"
)

// A parent's output for a benchmark whose sub-benchmarks run under
// netnstest.Run: the children's verbose lines (names alone, then results)
// relayed among the parent's own, and custom metrics.
const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/keepconn/keepconn/dialer
cpu: AMD EPYC
BenchmarkDial
BenchmarkDial/net.Dialer
BenchmarkDial/net.Dialer-2         	  200000	     21034 ns/op	     456 B/op	      10 allocs/op
BenchmarkDial/keepconn
    bench_linux_test.go:33: some log line
BenchmarkDial/keepconn-2           	  200000	     22012.5 ns/op	     520 B/op	      11 allocs/op
BenchmarkDial/keepconn-sources-2   	  200000	     24100 ns/op	     3.5 conns/op	     560 B/op	      12 allocs/op
BenchmarkDial/odd-2   	  notanumber	     24100 ns/op
BenchmarkDial/nometric-2   	  10	     24100 B/op
BenchmarkOther/serial/httpx-2      	   50000	        41.27 ns/op	       0 B/op	       0 allocs/op
--- SKIP: BenchmarkDial/keepconn
PASS
ok  	github.com/keepconn/keepconn/dialer	12.3s
`

func TestParseResults(t *testing.T) {
	rs := parseResults([]byte(sampleOutput), "-2")
	type want struct {
		name   string
		n      int64
		values map[string]float64
	}
	wants := []want{
		{"BenchmarkDial/net.Dialer", 200000, map[string]float64{"ns/op": 21034, "B/op": 456, "allocs/op": 10}},
		{"BenchmarkDial/keepconn", 200000, map[string]float64{"ns/op": 22012.5, "B/op": 520, "allocs/op": 11}},
		{"BenchmarkDial/keepconn-sources", 200000, map[string]float64{"ns/op": 24100, "conns/op": 3.5, "B/op": 560, "allocs/op": 12}},
		{"BenchmarkOther/serial/httpx", 50000, map[string]float64{"ns/op": 41.27, "B/op": 0, "allocs/op": 0}},
	}
	if len(rs) != len(wants) {
		t.Fatalf("parsed %d results, want %d: %+v", len(rs), len(wants), rs)
	}
	for i, w := range wants {
		r := rs[i]
		if r.Name != w.name || r.N != w.n || len(r.Values) != len(w.values) {
			t.Errorf("result %d = %q N=%d %v, want %q N=%d %v", i, r.Name, r.N, r.Values, w.name, w.n, w.values)
			continue
		}
		for unit, v := range w.values {
			if r.Values[unit] != v {
				t.Errorf("%s %s = %v, want %v", r.Name, unit, r.Values[unit], v)
			}
		}
		if !strings.HasPrefix(r.Line, w.name+"-2") {
			t.Errorf("line %q does not keep the printed name", r.Line)
		}
	}
	if got := subNames(rs, "BenchmarkDial"); !slices.Equal(got, []string{"net.Dialer", "keepconn", "keepconn-sources"}) {
		t.Errorf("subNames = %q", got)
	}
	if got := subNames(rs, "BenchmarkOther"); !slices.Equal(got, []string{"serial/httpx"}) {
		t.Errorf("subNames = %q", got)
	}
}

// With GOMAXPROCS 1 testing adds no suffix, and a name's own "-2" stays.
func TestParseResultsNoProcsSuffix(t *testing.T) {
	rs := parseResults([]byte("BenchmarkX/parallel-2 \t 100\t 5 ns/op\n"), "")
	if len(rs) != 1 || rs[0].Name != "BenchmarkX/parallel-2" {
		t.Fatalf("parsed %+v", rs)
	}
}

func TestSubPattern(t *testing.T) {
	for _, tc := range []struct{ top, sub, want string }{
		{"BenchmarkDial", "net.Dialer", `^BenchmarkDial$/^net\.Dialer$`},
		{"BenchmarkRoundTrip", "serial/httpx", `^BenchmarkRoundTrip$/^serial$/^httpx$`},
		{"BenchmarkAcquireRelease", "serial/keepconn-no-check", `^BenchmarkAcquireRelease$/^serial$/^keepconn-no-check$`},
	} {
		if got := subPattern(tc.top, tc.sub); got != tc.want {
			t.Errorf("subPattern(%q, %q) = %q, want %q", tc.top, tc.sub, got, tc.want)
		}
	}
}

func TestRoundOrderAlternates(t *testing.T) {
	subs := []string{"base", "a", "b"}
	if got := roundOrder(subs, 0); !slices.Equal(got, []string{"base", "a", "b"}) {
		t.Errorf("round 0: %q", got)
	}
	if got := roundOrder(subs, 1); !slices.Equal(got, []string{"b", "a", "base"}) {
		t.Errorf("round 1: %q", got)
	}
	if got := roundOrder(subs, 2); !slices.Equal(got, subs) {
		t.Errorf("round 2: %q", got)
	}
	// Over two rounds every pair runs once in each order.
	for i := range subs {
		for j := range subs {
			if i == j {
				continue
			}
			before := 0
			for r := range 2 {
				o := roundOrder(subs, r)
				if slices.Index(o, subs[i]) < slices.Index(o, subs[j]) {
					before++
				}
			}
			if before != 1 {
				t.Errorf("%s ran before %s in %d of 2 rounds", subs[i], subs[j], before)
			}
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-pkg", "./dialer", "-bench", "Dial"},
		{"-pkg", "./dialer", "-bench", "Dial", "-baseline", "x", "-n", "0"},
		{"-pkg", "./dialer", "-bench", "Dial", "-baseline", "x", "-cpu", "1,2"},
		{"-pkg", "./dialer", "-bench", "Dial", "-baseline", "x", "-match", "("},
		{"-pkg", "./dialer", "-bench", "Dial", "-baseline", "x", "extra"},
		{"-pkg", "./dialer", "-bench", "DialPaired", "-paired", "-baseline", "x"},
		{"-pkg", "./dialer", "-bench", "DialPaired", "-paired", "-metric", "cpu-ns/op"},
		{"-pkg", "./dialer", "-bench", "DialPaired", "-paired", "-metric", "ns/op"},
	} {
		fs := newFlagSet()
		if _, err := parseFlags(fs, args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	o, err := parseFlags(newFlagSet(), []string{"-pkg", "./pool", "-bench", "AcquireRelease", "-baseline", "serial/puddle", "-match", "^serial/"})
	if err != nil || o.n != 10 || o.benchtime != "1s" || !o.matchRE.MatchString("serial/keepconn") {
		t.Fatalf("parseFlags: %+v, %v", o, err)
	}
	if o, err := parseFlags(newFlagSet(), []string{"-pkg", "./dialer", "-bench", "DialPaired", "-paired"}); err != nil || !o.paired {
		t.Fatalf("parseFlags -paired: %+v, %v", o, err)
	}
}
