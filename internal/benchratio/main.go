package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"time"
)

// options are the command's flags.
type options struct {
	pkg, bench, baseline string
	match                string
	matchRE              *regexp.Regexp
	n                    int
	benchtime, cpu, raw  string
	metric               string // the unit the paired ratio is taken on
	timeout              time.Duration
	verbose              bool
	paired               bool // run the whole benchmark -n times and report its own ratios
}

func main() {
	o, err := parseFlags(flag.CommandLine, os.Args[1:]) // exits on a malformed flag
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("benchratio", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) (*options, error) {
	o := &options{}
	fs.StringVar(&o.pkg, "pkg", "", "the package whose benchmark to run, as for go test (required)")
	fs.StringVar(&o.bench, "bench", "", "the top-level benchmark, with or without its Benchmark prefix (required)")
	fs.StringVar(&o.baseline, "baseline", "", "the sub-benchmark every other one is compared with, e.g. net.Dialer or serial/tuned (required)")
	fs.StringVar(&o.match, "match", "", "compare only the sub-benchmarks matching this regexp (the baseline always runs)")
	fs.IntVar(&o.n, "n", 10, "rounds: samples of each sub-benchmark")
	fs.StringVar(&o.benchtime, "benchtime", "1s", "-test.benchtime of each sample (a duration or Nx)")
	fs.StringVar(&o.cpu, "cpu", "", "one -test.cpu value (GOMAXPROCS) for every sample; default this machine's")
	fs.StringVar(&o.raw, "o", "", "also write every sample's result line to this file, for benchstat")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit for each test process")
	fs.BoolVar(&o.verbose, "v", false, "print every sample as it is measured")
	fs.BoolVar(&o.paired, "paired", false, "run the whole benchmark -n times and report the ratios it measures in-process (internal/benchpair); no -baseline")
	fs.StringVar(&o.metric, "metric", "ns/op", "the unit the ratio is taken on: ns/op, or a metric the benchmark reports (e.g. cpu-ns/op); not with -paired")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case o.paired && flagSet(fs, "metric"):
		return nil, fmt.Errorf("-metric %s with -paired: the benchmark reports its own ratios, on ns/op", o.metric)
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.pkg == "" || o.bench == "":
		return nil, errors.New("-pkg and -bench are required")
	case o.paired && o.baseline != "":
		return nil, errors.New("-baseline with -paired: the benchmark compares its variants itself")
	case !o.paired && o.baseline == "":
		return nil, errors.New("-baseline is required (or -paired)")
	case o.n < 1:
		return nil, fmt.Errorf("-n %d: want at least 1 round", o.n)
	case o.timeout <= 0:
		return nil, fmt.Errorf("-timeout %v: want a positive duration", o.timeout)
	}
	if o.cpu != "" {
		if p, err := strconv.Atoi(o.cpu); err != nil || p < 1 {
			return nil, fmt.Errorf("-cpu %q: want one positive number", o.cpu)
		}
	}
	if o.match != "" {
		re, err := regexp.Compile(o.match)
		if err != nil {
			return nil, fmt.Errorf("-match: %w", err)
		}
		o.matchRE = re
	}
	return o, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// procsSuffix is the suffix testing appends to result names: "-N" for
// GOMAXPROCS N ≠ 1 (the -cpu value, or this machine's default, which the
// test binary shares), "" for 1.
func procsSuffix(cpu string) string {
	p := runtime.GOMAXPROCS(0)
	if cpu != "" {
		p, _ = strconv.Atoi(cpu)
	}
	if p == 1 {
		return ""
	}
	return "-" + strconv.Itoa(p)
}

// run builds the test binary, lists the sub-benchmarks, measures the
// rounds and prints the report to w; progress goes to progress.
func run(ctx context.Context, o *options, w, progress io.Writer) error {
	if o.paired {
		return runPaired(ctx, o, w, progress)
	}
	_, err := measureAndReport(ctx, o, w, progress)
	return err
}

func measureAndReport(ctx context.Context, o *options, w, progress io.Writer) (*samples, error) {
	cleanup, s, err := buildTemp(ctx, o)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	subs, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "benchratio: %s: baseline %s, candidates %q\n", s.top, subs[0], subs[1:])
	sm, err := s.rounds(ctx, subs, progress)
	if err != nil {
		return nil, err
	}
	if o.raw != "" {
		if err := writeRaw(o.raw, sm); err != nil {
			return nil, err
		}
	}
	return sm, report(w, o, s.top, summarize(sm, 0.95, o.metric))
}

// buildTemp builds the suite in a temporary directory, which cleanup
// removes.
func buildTemp(ctx context.Context, o *options) (cleanup func(), s *suite, err error) {
	tmp, err := os.MkdirTemp("", "benchratio")
	if err != nil {
		return nil, nil, err
	}
	if s, err = build(ctx, o, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, nil, err
	}
	return func() { os.RemoveAll(tmp) }, s, nil
}
