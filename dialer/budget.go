package dialer

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// TimeWaitLen is how long Linux keeps a TIME_WAIT socket: 60 seconds
// (TCP_TIMEWAIT_LEN, fixed at compile time, no sysctl changes it).
const TimeWaitLen = 60 * time.Second

// PortBudget says how much of the ephemeral port range towards one
// destination is in use, and how fast connections to it may churn.
//
// A local port is held towards Destination while a socket with that remote
// address and port sits in any state but LISTEN: open, closing, or in
// TIME_WAIT for TimeWaitLen after this host closed first. Only local ports
// inside the ephemeral range count (net.ipv4.ip_local_port_range, which
// governs IPv6 too): those are the ones connect() draws from. Connections
// accepted on a listening port are not counted, even when a listener sits
// inside the range (a ":0" listener does). Each source
// address has the whole range towards each destination, so the counts are
// kept per source address.
//
// The formulas:
//
//	Ports           = PortHigh − PortLow + 1
//	Utilization     = max over source addresses s of HeldBySource[s] / Ports   (0…1)
//	SustainableRate = Ports / 60 s   (new locally-closed connections per second, per source address)
//
// Utilization is that of the fullest source address, because connect()
// fails with EADDRNOTAVAIL as soon as the source address it uses has no
// free port left towards the destination. SustainableRate is the steady
// rate at which connections closed first by this host can be opened
// without running out: each one holds its port for TimeWaitLen. The
// default range of 28,232 ports gives about 470 per second; with n source
// addresses (Config.SourceAddrs) multiply by n.
type PortBudget struct {
	// Destination is the remote address and port (unmapped).
	Destination netip.AddrPort
	// PortLow and PortHigh are the ephemeral range; Ports is its size.
	PortLow, PortHigh uint16
	Ports             int
	// Held is the number of local ports in the range held towards
	// Destination now, over all source addresses; TimeWait is the part of
	// them in TIME_WAIT.
	Held, TimeWait int
	// HeldBySource splits Held by local (source) address.
	HeldBySource map[netip.Addr]int
	// Utilization is the fullest source address's share of Ports, 0…1.
	Utilization float64
	// SustainableRate is Ports / TimeWaitLen in connections per second,
	// per source address.
	SustainableRate float64
}

// PortBudgetFor returns the port budget towards dst, from one listing of
// the kernel's sockets (netlink, or /proc when netlink is refused). ctx
// bounds the reading. It is safe for concurrent use. On operating systems
// other than Linux it returns an error wrapping errors.ErrUnsupported.
func PortBudgetFor(ctx context.Context, dst netip.AddrPort) (PortBudget, error) {
	return portBudgetFor(ctx, dst, sockdiag.Collect)
}

// PortBudgets returns the budget of every destination towards which a
// local port of the ephemeral range is held now, fullest first (by
// Utilization, then Held, then address). It reads the kernel once; ctx
// bounds the reading.
func PortBudgets(ctx context.Context) ([]PortBudget, error) {
	t, err := tallyPorts(ctx, sockdiag.Collect)
	if err != nil {
		return nil, err
	}
	out := make([]PortBudget, 0, len(t.held))
	for dst := range t.held {
		out = append(out, t.budget(dst))
	}
	sort.Slice(out, func(i, j int) bool { return pressureLess(out[j], out[i]) })
	return out, nil
}

func pressureLess(a, b PortBudget) bool {
	if a.Utilization != b.Utilization {
		return a.Utilization < b.Utilization
	}
	if a.Held != b.Held {
		return a.Held < b.Held
	}
	return a.Destination.Compare(b.Destination) > 0
}

func portBudgetFor(ctx context.Context, dst netip.AddrPort, collect collector) (PortBudget, error) {
	t, err := tallyPorts(ctx, collect)
	if err != nil {
		return PortBudget{}, err
	}
	return t.budget(unmapAddrPort(dst)), nil
}

// tallyPorts reads the range and lists the connected sockets once.
func tallyPorts(ctx context.Context, collect collector) (*portTally, error) {
	low, high, err := sockdiag.ReadPortRange()
	if err != nil {
		return nil, fmt.Errorf("keepconn/dialer: port budget: %w", err)
	}
	t := newPortTally(low, high)
	if _, err := collect(ctx, sockdiag.Connected|1<<sockdiag.StateListen, t.visit); err != nil {
		return nil, fmt.Errorf("keepconn/dialer: port budget: %w", err)
	}
	t.finish()
	return t, nil
}

func unmapAddrPort(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// sustainableRate is ports / TimeWaitLen, in connections per second.
func sustainableRate(ports int) float64 {
	return float64(ports) / TimeWaitLen.Seconds()
}

// utilization is the fullest source's held ports over ports, capped at 1;
// 0 when ports is not positive.
func utilization(heldBySource map[netip.Addr]int, ports int) float64 {
	if ports <= 0 {
		return 0
	}
	fullest := 0
	for _, n := range heldBySource {
		fullest = max(fullest, n)
	}
	return min(float64(fullest)/float64(ports), 1)
}
