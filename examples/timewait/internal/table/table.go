package table

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Header describes the load every case of a demo runs.
type Header struct {
	// Requests is the number of requests (queries, commands) per case.
	Requests int
	// Concurrency is the number of concurrent workers.
	Concurrency int
	// Detail is printed after the load, e.g. "2048-byte bodies"; empty:
	// nothing.
	Detail string
	// Where names the network namespace the demo runs in; empty: nothing.
	Where string
	// Unit names one request in the column titles; empty: "requests".
	Unit string
	// RateTitle is the title of the rate column; empty: "req/s".
	RateTitle string
}

// Row is what one case measured.
type Row struct {
	// Index numbers the case in the table, from 1; 0 prints no number.
	Index int
	// Name names the client.
	Name string
	// Requests is the number of requests finished, successful or not.
	Requests int64
	// OK is the number of successful requests.
	OK int64
	// Errors is the number of failed requests.
	Errors int64
	// AddrNotAvail is the number of failures with EADDRNOTAVAIL.
	AddrNotAvail int64
	// FirstAddrNotAvail is the number of requests finished before the
	// first EADDRNOTAVAIL; meaningless when AddrNotAvail is 0.
	FirstAddrNotAvail int64
	// NewConns is the number of connections the case opened.
	NewConns int64
	// Reused is the number of successful requests sent on a connection
	// that had served before.
	Reused int64
	// Elapsed is the wall time of the case; 0 prints no rate.
	Elapsed time.Duration
	// P50 and P99 are latency percentiles of the successful requests.
	P50, P99 time.Duration
	// TimeWaitClient and TimeWaitServer are the TIME_WAIT sockets the
	// case left on the client side and on the server side.
	TimeWaitClient, TimeWaitServer int
}

// Footer adds notes under the table.
type Footer struct {
	// Notes are printed one per line after the column legend.
	Notes []string
}

// header and row formats share the column widths.
const (
	headFormat = "%-26s %8s %8s %9s %17s %6s %8s %8s  %s\n"
	rowFormat  = "%-26s %8d %8.0f %9d %17s %5.1f%% %8s %8s  %s\n"
)

// PrintHeader prints the load line and the column titles.
func PrintHeader(w io.Writer, h Header) {
	line := fmt.Sprintf("%d %s per case, %d concurrent", h.Requests, unit(h), h.Concurrency)
	if h.Detail != "" {
		line += ", " + h.Detail
	}
	line += fmt.Sprintf(", GOMAXPROCS %d", runtime.GOMAXPROCS(0))
	if h.Where != "" {
		line += ", " + h.Where
	}
	fmt.Fprintf(w, "%s\n\n", line)
	fmt.Fprintf(w, headFormat, "client", unit(h), rateTitle(h), "new conns",
		"TIME_WAIT cli/srv", "reuse", "p50", "p99", "errors")
}

func unit(h Header) string {
	if h.Unit == "" {
		return "requests"
	}
	return h.Unit
}

func rateTitle(h Header) string {
	if h.RateTitle == "" {
		return "req/s"
	}
	return h.RateTitle
}

// PrintRow prints one case.
func PrintRow(w io.Writer, r Row) {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Requests) / r.Elapsed.Seconds()
	}
	reuse := 0.0
	if r.OK > 0 {
		reuse = 100 * float64(r.Reused) / float64(r.OK)
	}
	name := r.Name
	if r.Index > 0 {
		name = fmt.Sprintf("%d %s", r.Index, r.Name)
	}
	fmt.Fprintf(w, rowFormat, name, r.Requests, rate, r.NewConns,
		fmt.Sprintf("%d / %d", r.TimeWaitClient, r.TimeWaitServer), reuse,
		Round(r.P50), Round(r.P99), errText(r))
}

func errText(r Row) string {
	if r.Errors == 0 {
		return "0"
	}
	s := fmt.Sprintf("%d", r.Errors)
	if r.AddrNotAvail > 0 {
		s += fmt.Sprintf(" (%d EADDRNOTAVAIL, first after %d requests)", r.AddrNotAvail, r.FirstAddrNotAvail)
	}
	return s
}

// Round shortens a latency for the table: milliseconds from 10 ms,
// tens of microseconds from 100 µs, microseconds below.
func Round(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= 100*time.Microsecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// PrintFooter prints the column legend and the notes.
func PrintFooter(w io.Writer, f Footer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "new conns: connections the case opened. reuse: requests sent on a reused connection.")
	fmt.Fprintln(w, "TIME_WAIT cli/srv: sockets left in TIME_WAIT after the run on the client side (towards the server)")
	fmt.Fprintln(w, "and on the server side (from its port). Whoever closes first keeps one for 60 s.")
	for _, n := range f.Notes {
		fmt.Fprintln(w, n)
	}
}
