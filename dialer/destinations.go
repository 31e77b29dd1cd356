package dialer

import (
	"net"
	"net/netip"
	"slices"
	"sync"
)

// MaxTrackedDestinations caps how many distinct destinations a Dialer
// remembers for Destinations, so per-destination metrics stay bounded.
const MaxTrackedDestinations = 256

// destinations is the bounded set of remote addresses a dialer connected
// to. Known destinations cost a read lock and no allocation.
type destinations struct {
	mu  sync.RWMutex
	set map[netip.AddrPort]struct{}
}

func (s *destinations) add(remote net.Addr) {
	ta, ok := remote.(*net.TCPAddr)
	if !ok {
		return
	}
	ap := netip.AddrPortFrom(ta.AddrPort().Addr().Unmap(), uint16(ta.Port))
	s.mu.RLock()
	_, known := s.set[ap]
	full := len(s.set) >= MaxTrackedDestinations
	s.mu.RUnlock()
	if known || full {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = make(map[netip.AddrPort]struct{})
	}
	if len(s.set) < MaxTrackedDestinations {
		s.set[ap] = struct{}{}
	}
}

// Destinations returns the remote addresses this dialer has connected to,
// sorted, at most MaxTrackedDestinations of them (the first ones seen).
func (d *Dialer) Destinations() []netip.AddrPort {
	d.dests.mu.RLock()
	out := make([]netip.AddrPort, 0, len(d.dests.set))
	for ap := range d.dests.set {
		out = append(out, ap)
	}
	d.dests.mu.RUnlock()
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out
}
