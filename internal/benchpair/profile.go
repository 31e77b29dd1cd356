package benchpair

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
)

// ProfileEnv names the environment variable that asks Run for a CPU
// profile of its timed rounds (not the warm-up), written to the file it
// names, in which every sample taken while a block ran — in the block's
// goroutine and in every goroutine started from it, such as the
// connections' read and write loops that a variant's first block dials —
// carries the label variant=<name>. The variants are then compared in one
// profile, sampled under the same conditions:
//
//	KEEPCONN_BENCHPAIR_CPUPROFILE=/tmp/rt.prof go test -run '^$' -bench 'RoundTripPaired/serial' -benchtime 100000x ./httpx
//	go tool pprof -tags /tmp/rt.prof                          # CPU per variant
//	go tool pprof -tagfocus 'variant=^httpx$' -top /tmp/rt.prof   # one variant's profile
//
// Work that no block started (a server's goroutines, the collector, the
// runtime's poller) has no label. Each Run writes the file anew: select
// one benchmark. Without the variable, Run neither profiles nor labels.
const ProfileEnv = "KEEPCONN_BENCHPAIR_CPUPROFILE"

// profiler labels the blocks of one Run and profiles its timed rounds,
// or does nothing (nil).
type profiler struct {
	path string
	file *os.File // while profiling
}

// profileFromEnv returns the profiler ProfileEnv asks for, or nil.
func profileFromEnv() *profiler {
	if path := os.Getenv(ProfileEnv); path != "" {
		return &profiler{path: path}
	}
	return nil
}

// start starts the CPU profile.
func (p *profiler) start() error {
	if p == nil {
		return nil
	}
	f, err := os.Create(p.path)
	if err != nil {
		return fmt.Errorf("%s: %w", ProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("%s=%q: %w (is -test.cpuprofile set too?)", ProfileEnv, p.path, err)
	}
	p.file = f
	return nil
}

// run runs v's block of n operations, labelled with v's name when
// profiling. The labels are set in the warm-up round too, before the
// profile starts, so that what the first block starts (connections'
// goroutines) carries them.
func (p *profiler) run(v Variant, n int) {
	if p == nil {
		v.Block(n)
		return
	}
	pprof.Do(context.Background(), pprof.Labels("variant", v.Name), func(context.Context) { v.Block(n) })
}

// stop ends the profile, if it runs, and closes its file.
func (p *profiler) stop() error {
	if p == nil || p.file == nil {
		return nil
	}
	pprof.StopCPUProfile()
	return p.file.Close()
}
