package netnstest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keepconn/keepconn/internal/netns"
)

// childEnv carries the name of the test the child process runs.
const childEnv = "KEEPCONN_NETNS_CHILD"

// RequireEnv, when set to 1, makes Run fail where it would skip.
const RequireEnv = "KEEPCONN_REQUIRE_NETNS"

// Run runs body in a fresh network namespace set up as cfg says.
//
// In the parent process Run re-executes the test binary for this test alone
// and reports the child's result: a failing child fails t, and the child's
// output is logged (for a benchmark it is printed, so its results line
// shows, and the parent's own run is skipped). A benchmark gets one child
// per -count sample (see the package doc). In the child, Run sets the
// namespace up once and calls body(t).
func Run[T testing.TB](t T, cfg Config, body func(T)) {
	t.Helper()
	switch os.Getenv(childEnv) {
	case t.Name():
		setupOnce(t, cfg)
		body(t)
		return
	case "":
	default:
		// A child runs only its own test; another test whose name the
		// pattern happens to match must not start a child of its own.
		t.SkipNow()
		return
	}
	if reason := netns.Unavailable(); reason != "" {
		skipOrFail(t, reason)
		return
	}
	runChild(t)
}

// InChild reports whether this process is a namespace child started by Run.
// Code of a test outside Run's body runs in both processes; InChild tells
// them apart.
func InChild() bool { return os.Getenv(childEnv) != "" }

var (
	setupMu   sync.Mutex
	setupDone bool
)

// setupOnce configures the namespace the first time; benchmarks call their
// body several times.
func setupOnce(t testing.TB, cfg Config) {
	t.Helper()
	setupMu.Lock()
	defer setupMu.Unlock()
	if setupDone {
		return
	}
	if err := netns.Setup(cfg); err != nil {
		t.Fatalf("netnstest: setting the namespace up: %v", err)
	}
	setupDone = true
}

func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("netnstest: %s, and %s=1", reason, RequireEnv)
	}
	t.Skipf("netnstest: %s (set %s=1 to make this a failure)", reason, RequireEnv)
}

// runChild runs t in child processes, each in a namespace of its own: a
// test once (the testing package repeats the whole test for -count), a
// benchmark once per -count sample, each child measuring one sample.
func runChild(t testing.TB) {
	t.Helper()
	_, isBench := any(t).(*testing.B)
	samples := 1
	if isBench {
		samples = benchCount()
	}
	for range samples {
		if !runOneChild(t, isBench) {
			return
		}
	}
	if isBench {
		t.Skip("measured in a private network namespace; results printed above")
	}
}

// runOneChild runs one child and reports whether it ran to success.
func runOneChild(t testing.TB, isBench bool) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], childArgs(t.Name(), isBench)...)
	cmd.Env = append(quickRaceExit(os.Environ()), childEnv+"="+t.Name())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := netns.Run(cmd)
	if isBench {
		os.Stdout.Write(benchLines(out.Bytes()))
	}
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			skipOrFail(t, fmt.Sprintf("cannot start a process in a new network namespace: %v", err))
			return false
		}
		t.Fatalf("in network namespace: %v\n%s", err, out.Bytes())
	}
	if !isBench && bytes.Contains(out.Bytes(), []byte("--- SKIP: "+t.Name()+" (")) {
		t.Skipf("in network namespace: skipped:\n%s", out.Bytes()) // a server not installed, say
	}
	if !ranTarget(out.Bytes(), t.Name(), isBench) {
		t.Fatalf("in network namespace: %s did not run to success:\n%s", t.Name(), out.Bytes())
	}
	if !isBench && testing.Verbose() {
		t.Logf("in network namespace:\n%s", out.Bytes())
	}
	return true
}

// quickRaceExit sets the race detector's atexit_sleep_ms to 0 in env,
// unless GORACE sets it already: a child built with -race otherwise sleeps
// a second as it exits, after its results are printed.
func quickRaceExit(env []string) []string {
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
			if !strings.Contains(v, "atexit_sleep_ms") {
				env = append(env[:i:i], env[i+1:]...)
				return append(env, strings.TrimSpace("GORACE="+v+" atexit_sleep_ms=0"))
			}
			return env
		}
	}
	return append(env, "GORACE=atexit_sleep_ms=0")
}

// benchCount is the -test.count of this process: the number of samples,
// and so of children, a benchmark asks for.
func benchCount() int {
	if f := flag.Lookup("test.count"); f != nil {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// ranTarget reports whether the child's verbose output shows the target
// test passing, or the target benchmark (or one of its sub-benchmarks)
// reporting a result.
func ranTarget(out []byte, name string, isBench bool) bool {
	if !isBench {
		return bytes.Contains(out, []byte("--- PASS: "+name+" ("))
	}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(name)) && bytes.Contains(line, []byte("ns/op")) {
			return true
		}
	}
	return false
}

// benchLines keeps the lines of a child's output a benchmark reader wants.
func benchLines(out []byte) []byte {
	var keep []byte
	for _, line := range bytes.SplitAfter(out, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Benchmark")) || bytes.Contains(line, []byte("_test.go:")) {
			keep = append(keep, line...)
		}
	}
	return keep
}

// childArgs selects exactly the named test or benchmark in the child —
// and, below it, the sub-tests or sub-benchmarks this process's -test.run
// or -test.bench selects — and forwards the flags that shape how it runs.
// The child always runs one sample (-test.count=1).
func childArgs(name string, isBench bool) []string {
	args := []string{"-test.v=true", "-test.count=1"}
	if isBench {
		args = append(args, "-test.run=^$", "-test.bench="+childPattern(name, flagValue("test.bench")))
		args = append(args, forwardFlags("test.benchtime", "test.benchmem", "test.cpu", "test.timeout")...)
	} else {
		args = append(args, "-test.run="+childPattern(name, flagValue("test.run")))
		args = append(args, forwardFlags("test.timeout", "test.short")...)
	}
	return args
}

// childPattern anchors every level of name and appends the levels of the
// parent's pattern that lie below it, so that a child started at a
// benchmark's top level runs only the sub-benchmarks the parent selected.
// A pattern with a top-level alternation is not split: the child then runs
// everything below name.
func childPattern(name, parent string) string {
	own := exactPattern(name)
	levels, ok := splitPattern(parent)
	depth := strings.Count(name, "/") + 1
	if !ok || len(levels) <= depth {
		return own
	}
	return own + "/" + strings.Join(levels[depth:], "/")
}

// splitPattern splits a -test.run or -test.bench pattern into its levels
// as the testing package does: at slashes outside brackets and
// parentheses. It reports false for a top-level "|", whose alternatives
// may have levels of their own.
func splitPattern(s string) ([]string, bool) {
	var levels []string
	brackets, parens, start := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			brackets++
		case ']':
			brackets = max(brackets-1, 0)
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '|':
			if brackets == 0 && parens == 0 {
				return nil, false
			}
		case '/':
			if brackets == 0 && parens == 0 {
				levels = append(levels, s[start:i])
				start = i + 1
			}
		}
	}
	return append(levels, s[start:]), true
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// exactPattern anchors every level of a (sub)test name.
func exactPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func forwardFlags(names ...string) []string {
	var out []string
	for _, n := range names {
		if f := flag.Lookup(n); f != nil {
			out = append(out, "-"+n+"="+f.Value.String())
		}
	}
	return out
}
