package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/keepconn/keepconn/examples/timewait/internal/table"
)

func printHeader(o options) {
	where := "host network namespace (tcp_tw_reuse " + readSysctl("net/ipv4/tcp_tw_reuse") + ")"
	if inNetns() {
		where = fmt.Sprintf("private network namespace, %d ephemeral ports, tcp_tw_reuse 0", o.portRange)
	}
	table.PrintHeader(os.Stdout, table.Header{
		Requests: o.n, Concurrency: o.c,
		Detail: fmt.Sprintf("GET, %d-byte bodies", o.bodySize), Where: where,
	})
}

func printRow(i int, r *result) {
	table.PrintRow(os.Stdout, table.Row{
		Index: i, Name: r.name, Requests: r.requests, OK: r.ok, Errors: r.errs,
		AddrNotAvail: r.addrNA, FirstAddrNotAvail: r.firstAddrNA,
		NewConns: r.newConns, Reused: r.reused, Elapsed: r.elapsed,
		P50: r.p50, P99: r.p99, TimeWaitClient: r.twClient, TimeWaitServer: r.twServer,
	})
}

func printFooter(o options) {
	var notes []string
	notes = append(notes, "Here new conns are the connections the server accepted; reuse is httptrace's GotConnInfo.Reused.")
	if !inNetns() && readSysctl("net/ipv4/tcp_tw_reuse") != "0" {
		notes = append(notes,
			"With tcp_tw_reuse on, loopback connects reuse TIME_WAIT ports after 1 s, so long runs under-count;",
			"run with -port-range N (root) for exact counts in a private namespace.")
	}
	table.PrintFooter(os.Stdout, table.Footer{Notes: notes})
}

func readSysctl(path string) string {
	b, err := os.ReadFile("/proc/sys/" + path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
