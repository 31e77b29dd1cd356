package dialer

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// MaxTrackedDestinations caps how many destinations a Dialer tracks at
// once (Destinations, the per-destination metrics and WatchTimeWait's
// gauges), so their cardinality stays bounded. Connections towards further
// destinations are counted in Stats and, in the metrics, in one series
// marked otel.metric.overflow=true.
const MaxTrackedDestinations = 256

// DestinationIdleTimeout is how long a destination stays tracked after its
// last connection closed and its last dial ended: then it leaves
// Destinations and its metric series end, so destinations that come and
// go (pods, failovers) do not pin the metrics on dead backends. It is
// longer than TimeWaitLen, so a destination's TIME_WAIT gauge is seen
// draining to zero before the destination goes.
const DestinationIdleTimeout = 2 * time.Minute

// epoch is the origin of the monotonic stamps of destinations.
var epoch = time.Now()

func monoNow() int64 { return int64(time.Since(epoch)) }

// destination is one tracked remote address: the connections open towards
// it (claimed ones included), when it was last used, and the counts its
// metric series report (claimed connections left out).
type destination struct {
	addr  netip.AddrPort
	attrs []attribute.KeyValue
	live  atomic.Int64 // connections open now, plus dials being counted
	last  atomic.Int64 // clock of the last dial or close
	clock func() int64
	// gone: a sweep is forgetting e, or forgot it. A use begun through
	// destinations.recent checks it after counting itself in live, and
	// starts again from the map when it is set.
	gone  atomic.Bool
	dials telemetry.Dials
	close telemetry.Closes
	lean  closeLean // the probe order of the next close (closeorder.go)
}

// release ends one use of e begun by destinations.acquire.
func (e *destination) release() {
	e.last.Store(e.clock())
	e.live.Add(-1)
}

// churn is e's metric snapshot.
func (e *destination) churn() telemetry.Churn {
	var s keepconn.ConnStats
	closes := e.close.Snapshot()
	closes.AddTo(&s)
	e.dials.AddTo(&s)
	return telemetry.Churn{Opened: s.Opened, DialErrors: s.DialErrors, AddrNotAvail: s.AddrNotAvail,
		Open: s.Opened - s.TotalClosed(), Closes: closes}
}

// destinations is the bounded, expiring set of destinations of a dialer.
// The destination of the last acquire costs two atomic operations, any
// other known one a read lock and a map lookup, neither an allocation.
//
// m is guarded by mu. recent is read without it: a sweep that forgets a
// destination sets its gone flag before it checks the destination's live
// count for the last time, and an acquire through recent counts itself in
// live before it checks gone, so one of the two always sees the other.
type destinations struct {
	mu       sync.RWMutex
	m        map[netip.AddrPort]*destination
	recent   atomic.Pointer[destination] // the last one acquire found or added
	overflow destination                 // beyond MaxTrackedDestinations
	unknown  destination                 // failed dials with no address to name
	now      func() int64
}

func (s *destinations) init() {
	s.m = make(map[netip.AddrPort]*destination)
	s.setClock(monoNow)
	s.overflow.attrs = []attribute.KeyValue{attribute.Bool("otel.metric.overflow", true)}
}

// setClock sets the clock of the set and of its entries (tests).
func (s *destinations) setClock(now func() int64) {
	s.now, s.overflow.clock, s.unknown.clock = now, now, now
	for _, e := range s.m {
		e.clock = now
	}
}

// acquire returns ap's destination, tracking it if it is new, with one
// use begun: a destination in use is never forgotten. Call release when
// the use ends. An invalid ap is the unknown destination.
func (s *destinations) acquire(ap netip.AddrPort) *destination {
	if !ap.IsValid() {
		s.unknown.live.Add(1)
		return &s.unknown
	}
	if e := s.recent.Load(); e != nil && e.addr == ap {
		e.live.Add(1)
		if !e.gone.Load() {
			return e
		}
		e.live.Add(-1) // being forgotten: ask the map
	}
	s.mu.RLock()
	e := s.m[ap]
	if e != nil {
		e.live.Add(1) // under the read lock: a sweep cannot take e now
	}
	s.mu.RUnlock()
	if e == nil {
		e = s.add(ap)
	}
	if e != &s.overflow {
		s.recent.Store(e)
	}
	return e
}

// add is acquire's slow path: ap's destination, tracked from now on if
// it is new, with one use begun.
func (s *destinations) add(ap netip.AddrPort) *destination {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[ap]
	if e == nil {
		e = s.addLocked(ap)
	}
	e.live.Add(1)
	return e
}

func (s *destinations) addLocked(ap netip.AddrPort) *destination {
	if len(s.m) >= MaxTrackedDestinations {
		s.sweepLocked()
		if len(s.m) >= MaxTrackedDestinations {
			return &s.overflow
		}
	}
	e := &destination{addr: ap, attrs: []attribute.KeyValue{
		attribute.String(telemetry.AttrServerAddress, ap.Addr().String()),
		attribute.Int(telemetry.AttrServerPort, int(ap.Port())),
	}, clock: s.now}
	e.last.Store(s.now())
	s.m[ap] = e
	return e
}

// sweep forgets the destinations idle for DestinationIdleTimeout.
func (s *destinations) sweep() {
	s.mu.Lock()
	s.sweepLocked()
	s.mu.Unlock()
}

func (s *destinations) sweepLocked() {
	cutoff := s.now() - int64(DestinationIdleTimeout)
	for ap, e := range s.m {
		if e.live.Load() != 0 || e.last.Load() >= cutoff {
			continue
		}
		e.gone.Store(true)
		if e.live.Load() != 0 { // an acquire through recent came first
			e.gone.Store(false)
			continue
		}
		delete(s.m, ap)
		s.recent.CompareAndSwap(e, nil)
	}
}

// each sweeps, then calls f for every tracked destination and for the
// overflow and unknown series.
func (s *destinations) each(f func(*destination)) {
	s.sweep()
	s.mu.RLock()
	list := make([]*destination, 0, len(s.m)+2)
	for _, e := range s.m {
		list = append(list, e)
	}
	s.mu.RUnlock()
	list = append(list, &s.overflow, &s.unknown)
	for _, e := range list {
		f(e)
	}
}

// addrPortOf returns the unmapped address of a *net.TCPAddr, or the zero
// AddrPort.
func addrPortOf(a net.Addr) netip.AddrPort {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta == nil {
		return netip.AddrPort{}
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Destinations returns the remote addresses this dialer tracks, sorted: at
// most MaxTrackedDestinations, each with a connection open now or used in
// the last DestinationIdleTimeout.
func (d *Dialer) Destinations() []netip.AddrPort {
	d.dests.sweep()
	d.dests.mu.RLock()
	out := make([]netip.AddrPort, 0, len(d.dests.m))
	for ap := range d.dests.m {
		out = append(out, ap)
	}
	d.dests.mu.RUnlock()
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out
}
