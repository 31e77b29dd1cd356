package dialer

import (
	"net/netip"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// portTally counts, from one listing of connected sockets, the local ports
// of the ephemeral range held per destination and source address, and the
// TIME_WAIT sockets per destination and in all.
type portTally struct {
	low, high uint16
	held      map[netip.AddrPort]map[netip.Addr]int // in range, any state
	twInRange map[netip.AddrPort]int                // in range, TIME_WAIT
	twByPeer  map[netip.AddrPort]int                // any local port, TIME_WAIT
	twTotal   int
	listening map[uint16]bool   // local ports of listeners
	pending   []sockdiag.Socket // in range, not yet counted
}

func newPortTally(low, high uint16) *portTally {
	return &portTally{low: low, high: high,
		held:      map[netip.AddrPort]map[netip.Addr]int{},
		twInRange: map[netip.AddrPort]int{},
		twByPeer:  map[netip.AddrPort]int{},
		listening: map[uint16]bool{},
	}
}

// visit takes one socket of a listing made with sockdiag.Connected plus
// LISTEN; finish must run once the listing is complete.
func (t *portTally) visit(s sockdiag.Socket) {
	if s.State == sockdiag.StateListen {
		t.listening[s.Local.Port()] = true
		return
	}
	if s.State == sockdiag.StateTimeWait {
		t.twTotal++
		t.twByPeer[s.Remote]++
	}
	if p := s.Local.Port(); p >= t.low && p <= t.high {
		t.pending = append(t.pending, s)
	}
}

// finish counts the sockets whose local port lies in the ephemeral range,
// except those on a listener's port: connections accepted by a server
// listening inside the range hold no port of the range towards their peer.
func (t *portTally) finish() {
	for _, s := range t.pending {
		if t.listening[s.Local.Port()] {
			continue
		}
		bySrc := t.held[s.Remote]
		if bySrc == nil {
			bySrc = map[netip.Addr]int{}
			t.held[s.Remote] = bySrc
		}
		bySrc[s.Local.Addr()]++
		if s.State == sockdiag.StateTimeWait {
			t.twInRange[s.Remote]++
		}
	}
	t.pending = nil
}

// budget computes dst's PortBudget; dst must be unmapped.
func (t *portTally) budget(dst netip.AddrPort) PortBudget {
	ports := int(t.high) - int(t.low) + 1
	b := PortBudget{
		Destination: dst, PortLow: t.low, PortHigh: t.high, Ports: ports,
		TimeWait:        t.twInRange[dst],
		HeldBySource:    map[netip.Addr]int{},
		SustainableRate: sustainableRate(ports),
	}
	for src, n := range t.held[dst] {
		b.HeldBySource[src] = n
		b.Held += n
	}
	b.Utilization = utilization(b.HeldBySource, ports)
	return b
}
