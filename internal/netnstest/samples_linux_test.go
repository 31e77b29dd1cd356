package netnstest_test

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/internal/netns"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// BenchmarkNamespaceSamples reports the process ("pid") and the network
// namespace ("netns-inode") each sample of its sub-benchmarks ran in.
func BenchmarkNamespaceSamples(b *testing.B) {
	netnstest.Run(b, netnstest.Config{}, func(b *testing.B) {
		for _, name := range []string{"a", "b"} {
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(float64(os.Getpid()), "pid")
				b.ReportMetric(float64(netnsInode(b)), "netns-inode")
			})
		}
	})
}

// With -count=N a benchmark under Run measures N samples, each in a child
// and a namespace of its own (not N back-to-back samples in one child),
// and the child runs only the sub-benchmarks the parent's -bench selects.
func TestBenchmarkCountRunsOneChildPerSample(t *testing.T) {
	if netnstest.InChild() {
		return
	}
	requireNetns(t)
	host := netnsInode(t)
	for _, count := range []int{1, 3} {
		out := runSelf(t, "-test.run=^$", "-test.bench=^BenchmarkNamespaceSamples$/^b$",
			"-test.benchtime=1x", "-test.count="+strconv.Itoa(count))
		if bytes.Contains(out, []byte("BenchmarkNamespaceSamples/a")) {
			t.Errorf("-bench selected only /b, but /a ran:\n%s", out)
		}
		samples := sampleMetrics(out, "BenchmarkNamespaceSamples/b")
		if len(samples) != count {
			t.Fatalf("-count=%d: %d samples of /b, want %d:\n%s", count, len(samples), count, out)
		}
		// Namespace inodes are recycled once a namespace is gone, so the
		// processes tell the children apart and the inodes say "not the
		// host's".
		pids := map[string]bool{}
		for _, s := range samples {
			if s["netns-inode"] == strconv.FormatUint(host, 10) || pids[s["pid"]] {
				t.Fatalf("-count=%d: samples %v (host namespace %d), want each in a child of its own, in a new namespace:\n%s",
					count, samples, host, out)
			}
			pids[s["pid"]] = true
		}
	}
}

func runSelf(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// sampleMetrics returns the metrics (unit to value) of every result line
// of the named benchmark.
func sampleMetrics(out []byte, name string) []map[string]string {
	var samples []map[string]string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], name) {
			continue
		}
		m := map[string]string{}
		for i := 2; i+1 < len(f); i += 2 {
			m[f[i+1]] = f[i]
		}
		samples = append(samples, m)
	}
	return samples
}

func netnsInode(t testing.TB) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func requireNetns(t *testing.T) {
	t.Helper()
	if reason := netns.Unavailable(); reason != "" {
		if os.Getenv(netnstest.RequireEnv) == "1" {
			t.Fatal(reason)
		}
		t.Skip(reason)
	}
}
