package dialer

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
)

// benchTimeWaits is how many TIME_WAIT sockets BenchmarkTimeWaitCensus
// counts: 10,000 towards each of two destinations.
const benchTimeWaits = 20000

// BenchmarkTimeWaitCensus counts the TIME_WAIT sockets of a namespace
// through netlink sock_diag and through /proc/net/tcp{,6} parsing, with
// none and then with 20,000 made by client-first closes, in two kinds of
// namespace:
//
//   - shared-hash: a namespace sharing the host's TCP hash table (Linux's
//     default). The kernel walks the whole table for each dump and each
//     /proc read, so the census pays for the host's sockets too: on a busy
//     host that fixed cost dominates both paths.
//   - private-hash: a namespace with its own 65,536-bucket table
//     (tcp_child_ehash_entries): the census pays for its own sockets only.
//
// The netlink census sends one request that the kernel answers for IPv4
// and IPv6 in a single walk of the table (sockdiag.Dump). Most of either
// census is the kernel's own work, walking the table and formatting each
// socket, which no decoder can save: internal/sockdiag's
// BenchmarkKernelFloor20000 measures that floor, and its /proc ÷ netlink
// ratio bounds the ratio this benchmark can show.
//
// It logs the ratios of the times measured in this run. TIME_WAIT lasts
// 60 s and the sockets are made once per namespace: keep -benchtime short
// (the default 1s is) and -count at 1; each census checks it still sees
// them all.
func BenchmarkTimeWaitCensus(b *testing.B) {
	// A listen backlog above the socket count, so a busy accept loop
	// cannot overflow the queue.
	cfg := netnstest.Config{PortLow: 10000, PortHigh: 60999,
		Sysctls: map[string]string{"net.core.somaxconn": "65535"}}
	netnstest.Run(b, cfg, func(b *testing.B) {
		shared := &benchNS{name: "shared-hash"}
		private := &benchNS{name: "private-hash", ns: newPrivateNetns(b, 65536, "10000 60999")}
		for _, n := range []*benchNS{shared, private} {
			n.empty = benchBothPaths(b, n, n.name+"/empty", 0)
			start := time.Now()
			n.make(b)
			b.Logf("%s: made %d TIME_WAIT sockets in %v", n.name, benchTimeWaits, time.Since(start).Round(time.Millisecond))
			n.full = benchBothPaths(b, n, n.name+"/20000", benchTimeWaits)
		}
		for _, n := range []*benchNS{shared, private} {
			for _, r := range []struct {
				what string
				t    [2]time.Duration
			}{{"no sockets", n.empty}, {"20,000 TIME_WAIT", n.full}} {
				if r.t[0] > 0 {
					b.Logf("%s, %s: netlink %v, /proc %v per census: netlink %.1f× faster", n.name, r.what,
						r.t[0].Round(time.Microsecond), r.t[1].Round(time.Microsecond), float64(r.t[1])/float64(r.t[0]))
				}
			}
		}
	})
}

// benchNS is one namespace of the benchmark: nil ns is the process's own.
type benchNS struct {
	name        string
	ns          *privateNetns
	empty, full [2]time.Duration
}

// run calls f on a goroutine whose thread is in the namespace.
func (n *benchNS) run(b *testing.B, f func()) {
	if n.ns == nil {
		f()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.ns.enter(b)
		f()
	}()
	<-done
	if b.Failed() { // a Fatal on the namespace's goroutine ended only that one
		b.FailNow()
	}
}

// benchBothPaths runs the netlink and the /proc census as sub-benchmarks
// and returns their times per census.
func benchBothPaths(b *testing.B, n *benchNS, name string, want int) (perOp [2]time.Duration) {
	for i, c := range []struct {
		name string
		c    collector
	}{{"netlink", fromNetlink}, {"proc", fromProc}} {
		b.Run(name+"/"+c.name, func(b *testing.B) {
			n.run(b, func() { perOp[i] = benchCensus(b, c.c, want) })
		})
	}
	return perOp
}

// benchCensus runs the census b.N times and returns the time per census.
func benchCensus(b *testing.B, c collector, want int) time.Duration {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		cs, err := timeWaitCensus(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		if cs.Total != want {
			b.Fatalf("census counts %d TIME_WAIT sockets, want %d (expired? keep -benchtime short)", cs.Total, want)
		}
	}
	return b.Elapsed() / time.Duration(b.N)
}

// make makes the sockets in the namespace: servers on 5000 and 5001,
// 10,000 client-first closes to each. Should a few closes still end
// without a TIME_WAIT, they are topped up, and logged with the namespace's
// TCP counters that explain them (without tcp_rfc1337=1: OutRsts, one RST
// per TIME_WAIT ended early).
func (n *benchNS) make(b *testing.B) {
	n.run(b, func() {
		ctx := context.Background()
		servers := []netip.AddrPort{twtest.Serve(b, "127.0.0.1:5000"), twtest.Serve(b, "127.0.0.1:5001")}
		workers := 8
		if n.ns != nil {
			workers = 0 // dial from this thread: it alone is in the namespace
		}
		for _, dst := range servers {
			censusMust(b, closeFirstFrom(ctx, dst, benchTimeWaits/2, workers))
		}
		for round := 0; ; round++ {
			tw := settledTimeWaits(b)
			if tw == benchTimeWaits {
				return
			}
			if tw > benchTimeWaits || round == 3 {
				b.Fatalf("%s: %d TIME_WAIT sockets after %d top-ups, want %d", n.name, tw, round, benchTimeWaits)
			}
			out := tcpCounters()
			b.Logf("%s: %d closes left no TIME_WAIT; topping up. TCP counters: %s", n.name, benchTimeWaits-tw, out)
			censusMust(b, closeFirstFrom(ctx, servers[0], benchTimeWaits-tw, 0))
		}
	})
}

// closeFirstFrom is twtest.CloseFirst; with workers 0 it dials
// sequentially from the calling goroutine.
func closeFirstFrom(ctx context.Context, dst netip.AddrPort, n, workers int) error {
	if workers > 0 {
		return twtest.CloseFirst(ctx, nil, dst, n, workers)
	}
	var d net.Dialer
	for range n {
		c, err := d.DialContext(ctx, "tcp", dst.String())
		if err != nil {
			return fmt.Errorf("dial %s: %w", dst, err)
		}
		c.Close()
	}
	return nil
}

// settledTimeWaits waits until every connection has finished closing (no
// socket left in another state than TIME_WAIT), for at most awaitTimeout,
// and returns the TIME_WAIT count.
func settledTimeWaits(b *testing.B) int {
	deadline := time.Now().Add(awaitTimeout)
	for {
		tw, other := 0, 0
		err := sockdiag.Dump(context.Background(), sockdiag.Connected, func(s sockdiag.Socket) {
			if s.State == sockdiag.StateTimeWait {
				tw++
			} else {
				other++
			}
		})
		censusMust(b, err)
		if other == 0 || time.Now().After(deadline) {
			return tw
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpCounters returns the non-zero TCP counters of the calling thread's
// namespace (/proc/thread-self/net/netstat and snmp), for failure logs.
func tcpCounters() string {
	var out strings.Builder
	for _, f := range []string{"netstat", "snmp"} {
		b, _ := os.ReadFile("/proc/thread-self/net/" + f)
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines); i += 2 {
			keys, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(keys) == 0 || !strings.HasPrefix(keys[0], "Tcp") {
				continue
			}
			for j := 1; j < len(keys) && j < len(vals); j++ {
				if vals[j] != "0" {
					fmt.Fprintf(&out, "%s%s=%s ", keys[0], keys[j], vals[j])
				}
			}
		}
	}
	return out.String()
}
