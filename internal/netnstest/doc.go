// Package netnstest runs a test or benchmark inside a fresh Linux network
// namespace, so that it can shrink the ephemeral port range, turn
// tcp_tw_reuse off, keep TIME_WAITs from RSTs (tcp_rfc1337=1) and add
// loopback addresses without touching the host.
//
// The whole test process has to be inside the namespace, because net/http
// Transports and database drivers dial from goroutines of their own, on any
// OS thread. So Run re-executes the test binary with CLONE_NEWNET (through
// netns.Run, which hands the child the proof netns.Setup checks before it
// writes any sysctl), asking it to run only the current test; in that
// child Run sets the namespace up and calls the test body. The child runs
// the sub-tests or sub-benchmarks below the current one that the parent's
// -run or -bench pattern selects, and no others.
//
// # Samples and -count
//
// The child always runs with -test.count=1. For a test, the testing
// package repeats the whole test -count times, so each run has a child of
// its own. For a benchmark, Run starts one child per -count sample, one
// after the other, each in a new namespace: -count=6 yields six
// independent samples of each sub-benchmark, none inheriting the sockets
// (TIME_WAIT or idle) of the one before. The samples of one sub-benchmark
// are still consecutive, and the next sub-benchmark's come after them; to
// compare a candidate with its baseline on a noisy machine, interleave
// them with internal/benchratio, which runs one sample of each
// sub-benchmark per round, alternating their order, and prints the median
// paired ratio with its confidence interval:
//
//	go run ./internal/benchratio -pkg ./dialer -bench Dial -baseline net.Dialer -n 10
//
// A child built with -race exits without the race detector's 1 s exit
// sleep (GORACE=atexit_sleep_ms=0, unless GORACE sets it).
//
// Where namespaces cannot be made (not root, not Linux) Run skips the test,
// unless KEEPCONN_REQUIRE_NETNS=1, which turns the skip into a failure.
package netnstest
