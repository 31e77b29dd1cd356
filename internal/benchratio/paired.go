package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/keepconn/keepconn/internal/benchpair"
)

// pairedRuns is what -paired measures: every run's value of every metric,
// by result line name and unit.
type pairedRuns map[string]map[string][]float64

// runPaired runs the whole benchmark o.n times, each time as a process of
// its own with its own seed of the block order (benchpair.SeedEnv: run i
// gets i), and reports the metrics its in-process comparison
// (internal/benchpair) printed: the ratios ("a/b") with the median over
// runs and its interval, and each variant's median time ("a-ns/op").
func runPaired(ctx context.Context, o *options, w, progress io.Writer) error {
	cleanup, s, err := buildTemp(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	pattern := "^" + regexp.QuoteMeta(s.top) + "$"
	if o.match != "" {
		pattern += "/" + o.match
	}
	runs := pairedRuns{}
	var lines []string
	for i := range o.n {
		// Each run draws its own sequence of block orders.
		out, err := s.exec(ctx, pattern, o.benchtime, fmt.Sprintf("%s=%d", benchpair.SeedEnv, i+1))
		if err != nil {
			return err
		}
		rs := parseResults(out, s.suffix)
		if len(rs) == 0 {
			return fmt.Errorf("%s in %s printed no result:\n%s", s.top, o.pkg, out)
		}
		for _, r := range rs {
			runs.add(r)
			lines = append(lines, r.Line)
			if o.verbose {
				fmt.Fprintf(progress, "run %d/%d: %s\n", i+1, o.n, r.Line)
			}
		}
	}
	if o.raw != "" {
		if err := writeLines(o.raw, lines); err != nil {
			return err
		}
	}
	return reportPaired(w, o, s.top, runs)
}

func (p pairedRuns) add(r result) {
	m := p[r.Name]
	if m == nil {
		m = map[string][]float64{}
		p[r.Name] = m
	}
	for unit, v := range r.Values {
		m[unit] = append(m[unit], v)
	}
}

// isRatio tells a benchpair ratio ("keepconn/net.Dialer") from a per-op
// unit ("ns/op", "B/op", "keepconn-ns/op").
func isRatio(unit string) bool {
	return strings.Contains(unit, "/") && !strings.HasSuffix(unit, "/op")
}

// reportPaired prints, per result line, each ratio's median over the runs
// with its distribution-free interval, and each variant's median ns/op.
func reportPaired(w io.Writer, o *options, top string, runs pairedRuns) error {
	fmt.Fprintf(w, "%s %s: %d runs of -benchtime %s, one process each; inside each run the variants alternate in blocks (internal/benchpair)\n",
		o.pkg, top, o.n, o.benchtime)
	fmt.Fprintln(w, "ratio = median over runs of the run's median paired ratio (block time ÷ the other's block time in the same round); CI for that median, distribution-free (order statistics)")
	for _, name := range slices.Sorted(maps.Keys(runs)) {
		if err := reportPairedLine(w, name, runs[name]); err != nil {
			return err
		}
	}
	if o.n < 6 {
		fmt.Fprintf(w, "\n%d runs are too few for a 95%% interval (6 are needed): CI is the range, with the coverage shown\n", o.n)
	}
	return nil
}

func sortedUnits(units map[string][]float64, keep func(string) bool) []string {
	var out []string
	for u := range units {
		if keep(u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// reportPairedLine prints one result line's ratios, then its variants'
// median times.
func reportPairedLine(w io.Writer, name string, units map[string][]float64) error {
	fmt.Fprintf(w, "\n%s\n", name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ratio\tmedian\tCI\tconf.\tbelow 1")
	for _, unit := range sortedUnits(units, isRatio) {
		xs := units[unit]
		ci := medianCI(xs, 0.95)
		below := 0
		for _, x := range xs {
			if x < 1 {
				below++
			}
		}
		fmt.Fprintf(tw, "%s\t%.3f×\t[%.3f, %.3f]\t%.1f%%\t%d/%d\n", unit, median(xs), ci.Lo, ci.Hi, 100*ci.Conf, below, len(xs))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var times []string
	for _, unit := range sortedUnits(units, func(u string) bool { return strings.HasSuffix(u, "-ns/op") }) {
		times = append(times, strings.TrimSuffix(unit, "-ns/op")+" "+fmtNum(median(units[unit])))
	}
	if len(times) > 0 {
		fmt.Fprintf(w, "median ns/op: %s\n", strings.Join(times, ", "))
	}
	if a, ok := units["allocs/op"]; ok {
		fmt.Fprintf(w, "allocs/op: %s, all variants together (per variant: the non-paired benchmark)\n", fmtNum(median(a)))
	}
	return nil
}
