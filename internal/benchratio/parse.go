package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// A result is one line of benchmark output: the name without its
// GOMAXPROCS suffix, the iteration count and every value by unit
// ("ns/op", "B/op", "allocs/op" and custom metrics).
type result struct {
	Name   string
	N      int64
	Values map[string]float64
	Line   string // the line as printed, for benchstat
}

// parseResults returns the result lines of out, in order. procsSuffix is
// the "-N" that testing appends to names when GOMAXPROCS is N ≠ 1 ("" for
// 1). Lines that are not results — headers, names a verbose run prints
// alone, logs, PASS — are skipped.
func parseResults(out []byte, procsSuffix string) []result {
	var rs []result
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if r, ok := parseLine(sc.Text(), procsSuffix); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// parseLine parses "BenchmarkX/sub-2  1000  123.4 ns/op  16 B/op  1 allocs/op".
func parseLine(line, procsSuffix string) (result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return result{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return result{}, false
	}
	r := result{Name: f[0], N: n, Values: make(map[string]float64, (len(f)-2)/2), Line: line}
	if procsSuffix != "" {
		r.Name = strings.TrimSuffix(r.Name, procsSuffix)
	}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return result{}, false
		}
		r.Values[f[i+1]] = v
	}
	if _, ok := r.Values["ns/op"]; !ok {
		return result{}, false
	}
	return r, true
}

// subNames returns, in order of first appearance and once each, the names
// of the results below top ("BenchmarkX"), relative to it ("sub",
// "serial/httpx").
func subNames(rs []result, top string) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rs {
		sub, ok := strings.CutPrefix(r.Name, top+"/")
		if !ok || seen[sub] {
			continue
		}
		seen[sub] = true
		names = append(names, sub)
	}
	return names
}
