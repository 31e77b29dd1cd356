// Command benchratio measures a Go benchmark's sub-benchmarks against one
// of them, the baseline, with interleaved samples, and prints the ratio
// itself: for each candidate the median over rounds of candidate ns/op ÷
// baseline ns/op in the same round, with a confidence interval for that
// median.
//
// Usage:
//
//	go run ./internal/benchratio -pkg ./dialer -bench Dial -baseline net.Dialer [-n 10] [-benchtime 1s]
//
// It compiles the package's test binary once (go test -c), runs the
// benchmark once at -benchtime 1x to list its sub-benchmarks, then runs -n
// rounds. Each round runs every sub-benchmark once, as a process of its
// own:
//
//	pkg.test -test.run '^$' -test.bench '^BenchmarkDial$/^keepconn$' -test.count 1 -test.benchmem -test.benchtime …
//
// in the package's directory, in an order that alternates from round to
// round (baseline, A, B, then B, A, baseline, …), so that the samples
// paired in a ratio are measured close together, each side runs as often
// first as last, and a drift in the machine's speed — another job
// starting, the CPU clocking down — weighs on both sides alike. A ratio is taken between the two samples of one
// round only: go test -count=N, by contrast, measures the N samples of
// each sub-benchmark back to back, one sub-benchmark after the other.
//
// The report gives, for every sub-benchmark, the median ns/op, B/op and
// allocs/op (with their range when rounds differ); and for every
// candidate the median paired ratio ("0.950×": 5 % faster than the
// baseline), its interval, the coverage the interval reaches and the
// number of rounds in which the candidate was the faster. The interval is
// the distribution-free one built from order statistics: [r(k),
// r(n+1−k)] of the sorted ratios, with the largest k for which
// 1 − 2·P(Binomial(n, ½) ≤ k−1) ≥ 95 %. It assumes nothing about the
// distribution of the ratios, only that rounds are independent. Six
// rounds are the fewest for 95 % (the interval is then the range of the
// ratios, 96.9 %); with 10 rounds it is [r(2), r(9)], 97.9 %; with fewer
// than 6 the report gives the range and its lower coverage (3 rounds:
// 75 %).
//
// Benchmarks that run under internal/netnstest work unchanged: the parent
// process that benchratio starts re-executes itself in a new network
// namespace for the selected sub-benchmark, and since netnstest starts
// one child per -test.count sample and benchratio asks for one, every
// sample has a fresh process and a fresh namespace. The child runs only
// the selected sub-benchmark, also where netnstest.Run wraps the
// top-level benchmark.
//
// With -paired, benchratio runs a benchmark that compares its variants
// inside one process (internal/benchpair: blocks of each variant in an
// order shuffled every round) -n times, each run a process of its own
// with its own seed of those shuffles (benchpair.SeedEnv), and
// reports every ratio the benchmark printed ("keepconn/net.Dialer",
// "keepconn/exact-close") as the median over the runs with the same
// distribution-free interval, and each variant's median ns/op:
//
//	go run ./internal/benchratio -pkg ./dialer -bench DialPaired -paired -n 10 -benchtime 40000x
//
// Flags:
//
//	-pkg        the package, as for go test (required)
//	-bench      the top-level benchmark, with or without "Benchmark" (required)
//	-baseline   the sub-benchmark to compare with, e.g. net.Dialer or serial/tuned (required without -paired)
//	-paired     run the whole benchmark -n times and report the ratios it measures in-process
//	-match      compare only the sub-benchmarks matching this regexp (the baseline always runs);
//	            with -paired, the sub-benchmark pattern to run (e.g. '^serial$')
//	-n          rounds, that is samples of each sub-benchmark (default 10)
//	-benchtime  -test.benchtime of each sample: a duration or Nx (default 1s)
//	-cpu        one -test.cpu value for every sample (default: this machine's GOMAXPROCS)
//	-o          also write every sample's result line to a file, for benchstat
//	-timeout    limit for each process (default 10m)
//	-v          print each sample as it is measured
//
// Progress goes to standard error, the report to standard output.
package main
