package dialer

import (
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// MaxTrackedDestinations caps how many distinct destinations a Dialer
// remembers for Destinations, so per-destination metrics stay bounded.
const MaxTrackedDestinations = 256

// destinations is the bounded set of remote addresses a dialer connected
// to. Lookups of known destinations take no lock.
type destinations struct {
	set  sync.Map // netip.AddrPort → struct{}
	size atomic.Int32
}

func (s *destinations) add(remote net.Addr) {
	ta, ok := remote.(*net.TCPAddr)
	if !ok {
		return
	}
	ap := ta.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if _, known := s.set.Load(ap); known || s.size.Load() >= MaxTrackedDestinations {
		return
	}
	if _, loaded := s.set.LoadOrStore(ap, struct{}{}); !loaded {
		s.size.Add(1)
	}
}

// Destinations returns the remote addresses this dialer has connected to,
// sorted, at most MaxTrackedDestinations of them (the first ones seen).
func (d *Dialer) Destinations() []netip.AddrPort {
	var out []netip.AddrPort
	d.dests.set.Range(func(k, _ any) bool {
		out = append(out, k.(netip.AddrPort))
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}
