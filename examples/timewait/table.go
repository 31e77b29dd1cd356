package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func printHeader(o options) {
	where := "host network namespace (tcp_tw_reuse " + readSysctl("net/ipv4/tcp_tw_reuse") + ")"
	if inNetns() {
		where = fmt.Sprintf("private network namespace, %d ephemeral ports, tcp_tw_reuse 0", o.portRange)
	}
	fmt.Printf("%d GETs per case, %d concurrent, %d-byte bodies, GOMAXPROCS %d, %s\n\n",
		o.n, o.c, o.bodySize, runtime.GOMAXPROCS(0), where)
	fmt.Printf("%-26s %8s %8s %9s %17s %6s %8s %8s  %s\n",
		"client", "requests", "req/s", "new conns", "TIME_WAIT cli/srv", "reuse", "p50", "p99", "errors")
}

func printRow(i int, r *result) {
	rate := float64(r.requests) / r.elapsed.Seconds()
	reuse := 0.0
	if r.ok > 0 {
		reuse = 100 * float64(r.reused) / float64(r.ok)
	}
	fmt.Printf("%-26s %8d %8.0f %9d %17s %5.1f%% %8s %8s  %s\n",
		fmt.Sprintf("%d %s", i, r.name), r.requests, rate, r.newConns,
		fmt.Sprintf("%d / %d", r.twClient, r.twServer), reuse,
		round(r.p50), round(r.p99), errText(r))
}

func errText(r *result) string {
	if r.errs == 0 {
		return "0"
	}
	s := fmt.Sprintf("%d", r.errs)
	if r.addrNA > 0 {
		s += fmt.Sprintf(" (%d EADDRNOTAVAIL, first after %d requests)", r.addrNA, r.firstAddrNA)
	}
	return s
}

func round(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= 100*time.Microsecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func printFooter(o options) {
	fmt.Println()
	fmt.Println("new conns: connections the server accepted. reuse: requests sent on a reused connection.")
	fmt.Println("TIME_WAIT cli/srv: sockets left in TIME_WAIT after the run on the client side (towards the server;")
	fmt.Println("dialer.TimeWaitCensus) and on the server side (/proc/net/tcp). Whoever closes first keeps one for 60 s.")
	if !inNetns() && strings.TrimSpace(readSysctl("net/ipv4/tcp_tw_reuse")) != "0" {
		fmt.Println("With tcp_tw_reuse on, loopback connects reuse TIME_WAIT ports after 1 s, so long runs under-count;")
		fmt.Println("run with -port-range N (root) for exact counts in a private namespace.")
	}
}

func readSysctl(path string) string {
	b, err := os.ReadFile("/proc/sys/" + path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
