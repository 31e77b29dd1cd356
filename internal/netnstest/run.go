package netnstest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
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
// shows, and the parent's own run is skipped). In the child, Run sets the
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

func runChild(t testing.TB) {
	t.Helper()
	_, isBench := any(t).(*testing.B)
	cmd := exec.Command(os.Args[0], childArgs(t.Name(), isBench)...)
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	cmd.SysProcAttr = netns.NewNetnsAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if isBench {
		os.Stdout.Write(benchLines(out.Bytes()))
	}
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			skipOrFail(t, fmt.Sprintf("cannot start a process in a new network namespace: %v", err))
			return
		}
		t.Fatalf("in network namespace: %v\n%s", err, out.Bytes())
	}
	if !ranTarget(out.Bytes(), t.Name(), isBench) {
		t.Fatalf("in network namespace: %s did not run to success:\n%s", t.Name(), out.Bytes())
	}
	if isBench {
		t.Skip("measured in a private network namespace; results printed above")
	}
	if testing.Verbose() {
		t.Logf("in network namespace:\n%s", out.Bytes())
	}
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

// childArgs selects exactly the named test or benchmark in the child and
// forwards the flags that shape how it runs.
func childArgs(name string, isBench bool) []string {
	pattern := exactPattern(name)
	args := []string{"-test.v=true"}
	if isBench {
		args = append(args, "-test.run=^$", "-test.bench="+pattern)
		args = append(args, forwardFlags("test.benchtime", "test.benchmem", "test.cpu", "test.timeout", "test.count")...)
	} else {
		args = append(args, "-test.count=1", "-test.run="+pattern)
		args = append(args, forwardFlags("test.timeout", "test.short")...)
	}
	return args
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
