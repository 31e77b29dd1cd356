package dialer

import (
	"context"
	"maps"
	"net"
	"net/netip"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
)

// TestPortBudgetFor: with a 100-port range, 60 locally-closed connections
// to dst hold 60 ports (utilization 0.60); 5 more open ones make 0.65; a
// destination never dialed shows 0. netlink and /proc agree.
func TestPortBudgetFor(t *testing.T) {
	cfg := netnstest.Config{PortLow: 40000, PortHigh: 40099}
	netnstest.Run(t, cfg, func(t *testing.T) {
		ctx := context.Background()
		dst := twtest.Serve(t, "127.0.0.1:5000")
		other := twtest.Serve(t, "127.0.0.1:5001")
		d := newCensusDialer(t, Config{})
		censusMust(t, twtest.CloseFirst(ctx, d.DialContext, dst, 60, 2))
		awaitCensus(t, fromNetlink, 60)

		b := takeBudget(t, dst, fromNetlink)
		assertBudget(t, b, 60, 60, 0.60)
		if b.Ports != 100 || b.PortLow != 40000 || b.PortHigh != 40099 || b.SustainableRate != 100.0/60 {
			t.Fatalf("range %d-%d (%d ports), rate %v; want 40000-40099, 100, %v", b.PortLow, b.PortHigh, b.Ports, b.SustainableRate, 100.0/60)
		}
		if p := takeBudget(t, dst, fromProc); !sameBudget(p, b) {
			t.Fatalf("/proc budget %+v, netlink %+v", p, b)
		}

		open := make([]net.Conn, 0, 5)
		for range 5 {
			c, err := d.DialContext(ctx, "tcp", dst.String())
			censusMust(t, err)
			open = append(open, c)
		}
		assertBudget(t, takeBudget(t, dst, fromNetlink), 65, 60, 0.65)
		assertBudget(t, takeBudget(t, other, fromNetlink), 0, 0, 0)
		all, err := PortBudgets(ctx)
		censusMust(t, err)
		if len(all) != 1 || all[0].Destination != dst || all[0].Held != 65 {
			t.Fatalf("PortBudgets = %+v, want only %s with 65 held", all, dst)
		}
		mapped := netip.AddrPortFrom(netip.AddrFrom16(dst.Addr().As16()), dst.Port())
		if b, err := PortBudgetFor(ctx, mapped); err != nil || b.Held != 65 || b.Destination != dst {
			t.Fatalf("PortBudgetFor(%s) = %+v, %v; want the budget of %s", mapped, b, err, dst)
		}
		for _, c := range open {
			c.Close()
		}
	})
}

func assertBudget(t *testing.T, b PortBudget, held, tw int, util float64) {
	t.Helper()
	want := map[netip.Addr]int{}
	if held > 0 {
		want[netip.MustParseAddr("127.0.0.1")] = held
	}
	if b.Held != held || b.TimeWait != tw || b.Utilization != util || !maps.Equal(b.HeldBySource, want) {
		t.Fatalf("budget of %s: held %d (%v), TIME_WAIT %d, utilization %v; want %d, %d, %v",
			b.Destination, b.Held, b.HeldBySource, b.TimeWait, b.Utilization, held, tw, util)
	}
}

func sameBudget(a, b PortBudget) bool {
	return maps.Equal(a.HeldBySource, b.HeldBySource) && a.Destination == b.Destination &&
		a.PortLow == b.PortLow && a.PortHigh == b.PortHigh && a.Ports == b.Ports &&
		a.Held == b.Held && a.TimeWait == b.TimeWait &&
		a.Utilization == b.Utilization && a.SustainableRate == b.SustainableRate
}

func takeBudget(t *testing.T, dst netip.AddrPort, c collector) PortBudget {
	t.Helper()
	b, err := portBudgetFor(context.Background(), dst, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBudgetFormula checks the documented formulas without the kernel.
func TestBudgetFormula(t *testing.T) {
	if r := sustainableRate(28232); r < 470.5 || r > 470.6 {
		t.Fatalf("sustainableRate(28232) = %v, want 28232/60 ≈ 470.53", r)
	}
	if r := sustainableRate(100); r != 100.0/60 {
		t.Fatalf("sustainableRate(100) = %v", r)
	}
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	cases := []struct {
		held  map[netip.Addr]int
		ports int
		want  float64
	}{
		{nil, 100, 0},
		{map[netip.Addr]int{a: 60}, 100, 0.60},
		{map[netip.Addr]int{a: 60, b: 90}, 100, 0.90}, // the fullest source decides
		{map[netip.Addr]int{a: 150}, 100, 1},          // capped
		{map[netip.Addr]int{a: 5}, 0, 0},              // no range
	}
	for _, c := range cases {
		if got := utilization(c.held, c.ports); got != c.want {
			t.Errorf("utilization(%v, %d) = %v, want %v", c.held, c.ports, got, c.want)
		}
	}
}

// TestPortTallySkipsOutsideRange: ports outside the ephemeral range (a
// server's own port, an explicit bind), listeners and connections accepted
// on a listener's port (40050, listed before its listener) hold no budget, but
// TIME_WAIT towards the peer is still counted for the metrics.
func TestPortTallySkipsOutsideRange(t *testing.T) {
	tl := newPortTally(40000, 40099)
	dst := netip.MustParseAddrPort("192.0.2.1:443")
	src := netip.MustParseAddr("192.0.2.9")
	for _, s := range []struct {
		port  uint16
		state uint8
	}{{40000, 6}, {40099, 1}, {39999, 6}, {40100, 1}, {40050, 1}, {40050, 10}} {
		tl.visit(sockSocket(src, s.port, dst, s.state))
	}
	tl.finish()
	b := tl.budget(dst)
	if b.Held != 2 || b.TimeWait != 1 || tl.twByPeer[dst] != 2 || tl.twTotal != 2 {
		t.Fatalf("held %d, tw in range %d, tw by peer %d, total %d; want 2, 1, 2, 2", b.Held, b.TimeWait, tl.twByPeer[dst], tl.twTotal)
	}
}

func sockSocket(src netip.Addr, port uint16, dst netip.AddrPort, state uint8) sockdiag.Socket {
	return sockdiag.Socket{State: state, Local: netip.AddrPortFrom(src, port), Remote: dst}
}
