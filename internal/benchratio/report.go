package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
)

// A summary is what the report prints for one sub-benchmark.
type summary struct {
	Name              string
	NsPerOp           float64 // median
	Metric            float64 // median of the unit the ratio is taken on
	BytesPerOp        float64 // median; NaN if not reported
	AllocsPerOp       float64 // median; NaN if not reported
	AllocsMin         float64
	AllocsMax         float64
	Ratio             float64 // median of the paired ratios to the baseline; NaN for the baseline
	CI                interval
	Faster, Rounds    int // rounds in which it beat the baseline, rounds paired
	Baseline          bool
	pairedRatioValues []float64
}

// summarize computes every sub-benchmark's medians and, for candidates,
// the paired ratios of metric to the baseline (sm.subs[0]) round by round.
func summarize(sm *samples, level float64, metric string) []summary {
	base := values(sm.byName[sm.subs[0]], metric)
	out := make([]summary, 0, len(sm.subs))
	for i, sub := range sm.subs {
		rs := sm.byName[sub]
		ns := values(rs, "ns/op")
		m := values(rs, metric)
		allocs := values(rs, "allocs/op")
		s := summary{Name: sub, NsPerOp: median(ns), Metric: median(m), BytesPerOp: median(values(rs, "B/op")),
			AllocsPerOp: median(allocs), AllocsMin: minOf(allocs), AllocsMax: maxOf(allocs),
			Ratio: math.NaN(), Baseline: i == 0}
		if i > 0 {
			s.pairedRatioValues = pairedRatios(m, base)
			s.Ratio = median(s.pairedRatioValues)
			s.CI = medianCI(s.pairedRatioValues, level)
			s.Rounds = len(s.pairedRatioValues)
			for _, r := range s.pairedRatioValues {
				if r < 1 {
					s.Faster++
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func values(rs []result, unit string) []float64 {
	var xs []float64
	for _, r := range rs {
		if v, ok := r.Values[unit]; ok {
			xs = append(xs, v)
		}
	}
	return xs
}

func minOf(xs []float64) float64 {
	m := math.NaN()
	for _, x := range xs {
		if math.IsNaN(m) || x < m {
			m = x
		}
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := math.NaN()
	for _, x := range xs {
		if math.IsNaN(m) || x > m {
			m = x
		}
	}
	return m
}

// report prints the table: per sub-benchmark the median ns/op, B/op and
// allocs/op, and per candidate the median paired ratio to the baseline,
// its confidence interval with the coverage it reaches, and the rounds in
// which the candidate was faster.
func report(w io.Writer, o *options, top string, sums []summary) error {
	fmt.Fprintf(w, "%s %s: %d rounds of -benchtime %s, one process per sample, order alternating each round\n",
		o.pkg, top, o.n, o.benchtime)
	fmt.Fprintf(w, "ratio = median over rounds of (candidate %s ÷ baseline %s in the same round); CI for that median, distribution-free (order statistics)\n", o.metric, o.metric)
	if o.metric != "ns/op" {
		fmt.Fprintf(w, "%s medians: ", o.metric)
		for i, s := range sums {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%s %s", s.Name, fmtNum(s.Metric))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "sub-benchmark\tns/op\tB/op\tallocs/op\tratio\tCI\tconf.\tfaster")
	for _, s := range sums {
		if s.Baseline {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\t\t\n", s.Name, fmtNum(s.NsPerOp), fmtNum(s.BytesPerOp), fmtAllocs(s), "baseline")
			continue
		}
		ci, conf := "n/a", "n/a"
		if s.Rounds > 1 {
			ci = fmt.Sprintf("[%.3f, %.3f]", s.CI.Lo, s.CI.Hi)
			conf = fmt.Sprintf("%.1f%%", 100*s.CI.Conf)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f×\t%s\t%s\t%d/%d\n", s.Name, fmtNum(s.NsPerOp), fmtNum(s.BytesPerOp),
			fmtAllocs(s), s.Ratio, ci, conf, s.Faster, s.Rounds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if o.n < 6 {
		fmt.Fprintf(w, "\n%d rounds are too few for a 95%% interval (6 are needed): CI is the range of the ratios, with the coverage shown\n", o.n)
	}
	return nil
}

func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 100 || x == math.Trunc(x):
		return strconv.FormatFloat(x, 'f', 0, 64)
	default:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
}

// fmtAllocs prints the median allocs/op, and the range when rounds differ.
func fmtAllocs(s summary) string {
	if math.IsNaN(s.AllocsPerOp) || s.AllocsMin == s.AllocsMax {
		return fmtNum(s.AllocsPerOp)
	}
	return fmt.Sprintf("%s (%s–%s)", fmtNum(s.AllocsPerOp), fmtNum(s.AllocsMin), fmtNum(s.AllocsMax))
}
