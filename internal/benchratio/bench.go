package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// A suite is a compiled test binary and the benchmark it measures.
type suite struct {
	bin, dir string // the test binary, and the package directory it runs in
	top      string // "BenchmarkX"
	opts     *options
	suffix   string // the GOMAXPROCS suffix of result names
}

// build compiles the package's test binary into tmp, once.
func build(ctx context.Context, o *options, tmp string) (*suite, error) {
	dir, err := goCmd(ctx, "list", "-f", "{{.Dir}}", o.pkg)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "bench.test")
	if _, err := goCmd(ctx, "test", "-c", "-o", bin, o.pkg); err != nil {
		return nil, err
	}
	top := o.bench
	if !strings.HasPrefix(top, "Benchmark") {
		top = "Benchmark" + top
	}
	return &suite{bin: bin, dir: strings.TrimSpace(dir), top: top, opts: o, suffix: procsSuffix(o.cpu)}, nil
}

func goCmd(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// list runs the whole benchmark once, one iteration per sub-benchmark,
// and returns the names of the sub-benchmarks that match o.match, the
// baseline first.
func (s *suite) list(ctx context.Context) ([]string, error) {
	out, err := s.exec(ctx, "^"+regexp.QuoteMeta(s.top)+"$", "1x")
	if err != nil {
		return nil, err
	}
	all := subNames(parseResults(out, s.suffix), s.top)
	if len(all) == 0 {
		return nil, fmt.Errorf("%s in %s reported no sub-benchmarks:\n%s", s.top, s.opts.pkg, out)
	}
	subs := []string{s.opts.baseline}
	found := false
	for _, name := range all {
		switch {
		case name == s.opts.baseline:
			found = true
		case s.opts.matchRE == nil || s.opts.matchRE.MatchString(name):
			subs = append(subs, name)
		}
	}
	if !found {
		return nil, fmt.Errorf("baseline %q is not a sub-benchmark of %s; there are %q", s.opts.baseline, s.top, all)
	}
	if len(subs) < 2 {
		return nil, fmt.Errorf("no candidate besides the baseline among %q (-match %q)", all, s.opts.match)
	}
	return subs, nil
}

// measure runs one sample of sub in a process of its own.
func (s *suite) measure(ctx context.Context, sub string) (result, error) {
	out, err := s.exec(ctx, subPattern(s.top, sub), s.opts.benchtime)
	if err != nil {
		return result{}, err
	}
	var got []result
	for _, r := range parseResults(out, s.suffix) {
		if r.Name == s.top+"/"+sub {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		return result{}, fmt.Errorf("%s/%s: %d result lines, want 1:\n%s", s.top, sub, len(got), out)
	}
	return got[0], nil
}

// exec runs the test binary on one benchmark pattern, one sample, with
// env added to this process's environment.
func (s *suite) exec(ctx context.Context, pattern, benchtime string, env ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	args := []string{"-test.run=^$", "-test.bench=" + pattern, "-test.count=1", "-test.benchmem",
		"-test.benchtime=" + benchtime, "-test.timeout=" + s.opts.timeout.String()}
	if s.opts.cpu != "" {
		args = append(args, "-test.cpu="+s.opts.cpu)
	}
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", filepath.Base(s.opts.pkg), strings.Join(args, " "), err, out.Bytes())
	}
	return out.Bytes(), nil
}

// subPattern selects exactly top/sub, anchoring every level.
func subPattern(top, sub string) string {
	levels := append([]string{top}, strings.Split(sub, "/")...)
	for i, l := range levels {
		levels[i] = "^" + regexp.QuoteMeta(l) + "$"
	}
	return strings.Join(levels, "/")
}

// roundOrder returns the order of round r (from 0): subs as given in even
// rounds, reversed in odd ones, so that every sub-benchmark runs as often
// before as after each other one and drifts in the machine's speed cancel
// out of the paired ratios.
func roundOrder(subs []string, r int) []string {
	order := make([]string, len(subs))
	for i := range subs {
		if r%2 == 0 {
			order[i] = subs[i]
		} else {
			order[i] = subs[len(subs)-1-i]
		}
	}
	return order
}

// samples holds, per sub-benchmark, the result of each round, and the
// order in which the processes ran.
type samples struct {
	subs   []string
	byName map[string][]result
	ran    []string // "round:sub", in execution order
}

// rounds runs n rounds of every sub-benchmark, one process per sample.
func (s *suite) rounds(ctx context.Context, subs []string, progress io.Writer) (*samples, error) {
	sm := &samples{subs: subs, byName: make(map[string][]result, len(subs))}
	if !s.opts.verbose {
		fmt.Fprintf(progress, "benchratio: %d rounds of %d processes, round", s.opts.n, len(subs))
	}
	for r := range s.opts.n {
		for _, sub := range roundOrder(subs, r) {
			res, err := s.measure(ctx, sub)
			if err != nil {
				return nil, fmt.Errorf("round %d: %w", r+1, err)
			}
			sm.byName[sub] = append(sm.byName[sub], res)
			sm.ran = append(sm.ran, fmt.Sprintf("%d:%s", r, sub))
			if s.opts.verbose {
				fmt.Fprintf(progress, "round %d: %s\n", r+1, res.Line)
			}
		}
		if !s.opts.verbose {
			fmt.Fprintf(progress, " %d", r+1)
		}
	}
	if !s.opts.verbose {
		fmt.Fprintln(progress, " done")
	}
	return sm, nil
}

// writeRaw writes every result line, round by round, for benchstat.
func writeRaw(path string, sm *samples) error {
	var lines []string
	for r := range len(sm.byName[sm.subs[0]]) {
		for _, sub := range sm.subs {
			lines = append(lines, sm.byName[sub][r].Line)
		}
	}
	return writeLines(path, lines)
}

// writeLines writes result lines to path, one a line, for benchstat.
func writeLines(path string, lines []string) error {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(strings.TrimSpace(l) + "\n")
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
