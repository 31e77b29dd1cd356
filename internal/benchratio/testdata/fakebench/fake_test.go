// Package fakebench is benchratio's end-to-end fixture: sub-benchmarks with
// known relative costs and allocation counts, one of them in a network
// namespace of its own.
package fakebench

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/internal/benchpair"
	"github.com/keepconn/keepconn/internal/netnstest"
)

var sink []byte

var acc uint64

// work does about k units of CPU work.
func work(k int) {
	x := acc
	for i := 0; i < k*4000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	acc = x
}

// loop runs body b.N times and reports, beside the wall time, the CPU time
// the process spent per op (cpu-ns/op): the measure that stays near the
// known ratios when other processes load the machine.
func loop(b *testing.B, body func()) {
	cpu0 := benchpair.CPUTime()
	for b.Loop() {
		body()
	}
	b.ReportMetric(float64(benchpair.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkFake(b *testing.B) {
	b.Run("base", func(b *testing.B) { loop(b, func() { work(1) }) })
	b.Run("double", func(b *testing.B) { loop(b, func() { work(2) }) })
	b.Run("alloc", func(b *testing.B) {
		loop(b, func() {
			sink = make([]byte, 64+len(sink)%2)
			work(1)
		})
	})
	b.Run("nested/deeper", func(b *testing.B) { loop(b, func() { work(1) }) })
	b.Run("netns", func(b *testing.B) {
		netnstest.Run(b, netnstest.Config{}, func(b *testing.B) {
			loop(b, func() { work(1) })
			var parent, own syscall.Stat_t
			if syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", os.Getppid()), &parent) != nil ||
				syscall.Stat("/proc/self/ns/net", &own) != nil || own.Ino == parent.Ino {
				b.Fatal("not in a namespace of its own")
			}
			b.ReportMetric(float64(os.Getpid()), "pid")
		})
	})
}

// BenchmarkFakePaired compares in-process, as internal/benchpair does:
// "double" does twice base's work, "triple" three times, against double.
// It reports its seed (benchpair.SeedEnv) as seed/op.
func BenchmarkFakePaired(b *testing.B) {
	benchpair.Run(b, 20,
		benchpair.Serial("base", func() { work(1) }),
		benchpair.Serial("double", func() { work(2) }),
		benchpair.Serial("triple", func() { work(3) }).Against("double"))
	var seed float64
	fmt.Sscan(os.Getenv(benchpair.SeedEnv), &seed)
	b.ReportMetric(seed, "seed/op") // after Run, whose ResetTimer drops earlier metrics
}
