package main

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestMergeSortsByPressure: budgets and census join per destination, the
// fullest first; peers with TIME_WAIT but no held port follow; -n cuts.
func TestMergeSortsByPressure(t *testing.T) {
	a, b, c := netip.MustParseAddrPort("10.0.0.1:80"), netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.3:80")
	src := netip.MustParseAddr("10.0.0.9")
	budgets := []dialer.PortBudget{
		{Destination: a, Ports: 100, Held: 10, Utilization: 0.10, HeldBySource: map[netip.Addr]int{src: 10}},
		{Destination: b, Ports: 100, Held: 60, Utilization: 0.60, HeldBySource: map[netip.Addr]int{src: 60}},
	}
	census := dialer.Census{Total: 75, ByPeer: map[netip.AddrPort]int{a: 5, b: 50, c: 20}}
	rows := merge(census, budgets)
	if len(rows) != 3 || rows[0].dst != b || rows[1].dst != a || rows[2].dst != c {
		t.Fatalf("order %v, want %s %s %s", rows, b, a, c)
	}
	if rows[0].timeWait != 50 || rows[2].budget.Held != 0 {
		t.Fatalf("rows %+v", rows)
	}
	var out bytes.Buffer
	if err := printRows(&out, rows, 2); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "60.0%") || !strings.Contains(lines[3], "1 more") {
		t.Fatalf("output:\n%s", out.String())
	}
}
