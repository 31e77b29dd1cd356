// Command twstat shows, like a focused `ss`, where this host's TIME_WAIT
// sockets and ephemeral ports go: the TIME_WAIT count and the port budget
// per destination, fullest first, and the namespace's total.
//
//	twstat                # once
//	twstat -watch 1s      # refresh every second until interrupted
//	twstat -n 5           # only the 5 fullest destinations
//
// Columns: TIME_WAIT is the sockets towards the destination in TIME_WAIT
// (closed first by this host, blocked for 60 s); HELD the local ports of
// the ephemeral range held towards it in any state; UTIL the fullest
// source address's share of the range (EADDRNOTAVAIL at 100%); RATE/S the
// sustainable rate of new locally-closed connections per source address
// (ports / 60 s). It sees the network namespace it runs in, like ss.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keepconn/keepconn/dialer"
)

func main() {
	watch := flag.Duration("watch", 0, "refresh every `interval` (e.g. 1s) until interrupted; 0 prints once")
	top := flag.Int("n", 20, "show at most `n` destinations, fullest first (0: all)")
	timeout := flag.Duration("timeout", 5*time.Second, "bound each read of the kernel's sockets")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *watch, *top, *timeout); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

// run prints one report, or one per interval until ctx is done.
func run(ctx context.Context, w io.Writer, every time.Duration, top int, timeout time.Duration) error {
	for {
		if err := report(ctx, w, top, timeout); err != nil {
			return err
		}
		if every <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
			fmt.Fprintln(w)
		}
	}
}

// row is one destination: its TIME_WAIT count and its port budget.
type row struct {
	dst      netip.AddrPort
	timeWait int
	budget   dialer.PortBudget
}

func report(ctx context.Context, w io.Writer, top int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	census, err := dialer.TimeWaitCensus(ctx)
	if err != nil {
		return err
	}
	budgets, err := dialer.PortBudgets(ctx)
	if err != nil {
		return err
	}
	rows := merge(census, budgets)
	printHeader(w, census, budgets)
	return printRows(w, rows, top)
}

// merge joins the census and the budgets into rows sorted by pressure:
// utilization, then held ports, then TIME_WAIT.
func merge(c dialer.Census, budgets []dialer.PortBudget) []row {
	byDst := map[netip.AddrPort]*row{}
	var rows []*row
	for _, b := range budgets {
		r := &row{dst: b.Destination, budget: b}
		byDst[b.Destination] = r
		rows = append(rows, r)
	}
	for dst, n := range c.ByPeer {
		if r := byDst[dst]; r != nil {
			r.timeWait = n
			continue
		}
		rows = append(rows, &row{dst: dst, timeWait: n})
	}
	slices.SortFunc(rows, func(a, b *row) int {
		return cmp.Or(cmp.Compare(b.budget.Utilization, a.budget.Utilization),
			cmp.Compare(b.budget.Held, a.budget.Held),
			cmp.Compare(b.timeWait, a.timeWait), a.dst.Compare(b.dst))
	})
	out := make([]row, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out
}

func printHeader(w io.Writer, c dialer.Census, budgets []dialer.PortBudget) {
	kernel := "unknown"
	if c.KernelTotal >= 0 {
		kernel = fmt.Sprint(c.KernelTotal)
	}
	fmt.Fprintf(w, "%s  TIME_WAIT total %d (%s; sockstat tw %s)\n",
		time.Now().Format(time.TimeOnly), c.Total, c.Source, kernel)
	if len(budgets) > 0 {
		b := budgets[0]
		fmt.Fprintf(w, "ephemeral ports %d-%d: %d per source address and destination, %.0f closing connections/s sustainable\n",
			b.PortLow, b.PortHigh, b.Ports, b.SustainableRate)
	}
}

func printRows(w io.Writer, rows []row, top int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DESTINATION\tTIME_WAIT\tHELD\tUTIL\tRATE/S\tBY SOURCE\t")
	shown := rows
	if top > 0 && len(rows) > top {
		shown = rows[:top]
	}
	for _, r := range shown {
		util, rate := "-", "-"
		if r.budget.Ports > 0 {
			util = fmt.Sprintf("%.1f%%", 100*r.budget.Utilization)
			rate = fmt.Sprintf("%.0f", r.budget.SustainableRate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t\n", r.dst, r.timeWait, r.budget.Held, util, rate, sources(r.budget))
	}
	if len(shown) < len(rows) {
		fmt.Fprintf(tw, "… %d more\t\t\t\t\t\t\n", len(rows)-len(shown))
	}
	return tw.Flush()
}

// sources lists the held ports per source address, fullest first.
func sources(b dialer.PortBudget) string {
	srcs := make([]netip.Addr, 0, len(b.HeldBySource))
	for a := range b.HeldBySource {
		srcs = append(srcs, a)
	}
	slices.SortFunc(srcs, func(x, y netip.Addr) int {
		return cmp.Or(cmp.Compare(b.HeldBySource[y], b.HeldBySource[x]), x.Compare(y))
	})
	parts := make([]string, len(srcs))
	for i, a := range srcs {
		parts[i] = fmt.Sprintf("%s=%d", a, b.HeldBySource[a])
	}
	return strings.Join(parts, " ")
}
