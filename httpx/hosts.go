package httpx

import (
	"github.com/keepconn/keepconn/internal/dialgate"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// MaxTrackedHosts caps how many destinations get their own counters and
// metric attributes at once; further ones share one entry whose
// server.address is "_OTHER", so metric cardinality stays bounded. A
// destination with no connection and no dial for HostForgetAfter leaves
// the table (its counts stay in Stats), so the table follows the live set
// of hosts, not the first ones seen.
const MaxTrackedHosts = 256

// HostForgetAfter is how long a destination with no connection open and
// no dial in flight keeps its own entry. When the table is full, such
// destinations leave it at once to make room.
const HostForgetAfter = time.Minute

// hostStats are the counters of one destination ("host:port" as the
// Transport dials it).
type hostStats struct {
	addr  string
	attrs attribute.Set

	dials   telemetry.Dials
	open    atomic.Int64 // connections dialed and whose close is not yet counted
	live    atomic.Int64 // connections dialed and not yet closed (net/http's count)
	inUse   atomic.Int64 // open connections serving a request
	dialing atomic.Int64 // dials in flight
	h2      atomic.Int64 // open connections speaking HTTP/2
	waiters atomic.Int64 // requests waiting at the cap
	closes  telemetry.Closes
	active  atomic.Int64 // monotonic time of the last dial or close, for forgetting
	gate    dialgate.Gate
	t       *Transport
}

func (h *hostStats) countClose(r telemetry.Reason, side telemetry.Side) {
	h.closes.Add(r, side)
	h.touch()
	h.open.Add(-1)
}

func (h *hostStats) touch() { h.active.Store(int64(h.t.now())) }

// busy reports whether the host has a connection or a dial.
func (h *hostStats) busy() bool {
	return h.open.Load() != 0 || h.dialing.Load() != 0 || h.inUse.Load() != 0
}

// addTo adds the host's counters to s.
func (h *hostStats) addTo(s *keepconn.ConnStats) {
	h.dials.AddTo(s)
	h.closes.Snapshot().AddTo(s)
	s.Open += h.open.Load()
}

// hostTable maps destinations to their counters. Lookups happen on dials
// only, so a mutex is cheap enough.
type hostTable struct {
	mu        sync.Mutex
	m         map[string]*hostStats
	fast      sync.Map                  // the same as m, for lock-free finds per request
	last      atomic.Pointer[hostStats] // the host found last: most clients talk to one
	other     *hostStats
	retired   keepconn.ConnStats // counts of the hosts that left
	lastSweep time.Duration
	forget    time.Duration // HostForgetAfter; shorter in tests
}

// startDial returns addr's counters with one more dial in flight: the
// host cannot leave the table until the dial ends (endDial).
func (ht *hostTable) startDial(t *Transport, addr string) *hostStats {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	h := ht.lookup(t, addr)
	h.dialing.Add(1)
	h.touch()
	return h
}

func (h *hostStats) endDial() { h.dialing.Add(-1) }

func (ht *hostTable) lookup(t *Transport, addr string) *hostStats {
	if h := ht.m[addr]; h != nil {
		return h
	}
	ht.sweepLocked(t, len(ht.m) >= MaxTrackedHosts)
	if len(ht.m) >= MaxTrackedHosts {
		if ht.other == nil {
			ht.other = newHostStats(t, "_OTHER", attribute.NewSet(attribute.String(telemetry.AttrServerAddress, "_OTHER")))
		}
		return ht.other
	}
	if ht.m == nil {
		ht.m = make(map[string]*hostStats)
	}
	h := newHostStats(t, addr, hostAttrs(addr))
	ht.m[addr] = h
	ht.fast.Store(addr, h)
	return h
}

// sweepLocked removes hosts with no connection and no dial that have been
// quiet for the forget time, or, when full, quiet at all. Their counts go
// to retired.
func (ht *hostTable) sweepLocked(t *Transport, full bool) {
	now := t.now()
	if !full && now-ht.lastSweep < ht.forget/4 {
		return
	}
	ht.lastSweep = now
	for addr, h := range ht.m {
		if h.busy() || !full && now-time.Duration(h.active.Load()) < ht.forget {
			continue
		}
		h.addTo(&ht.retired)
		delete(ht.m, addr)
		ht.fast.Delete(addr)
		ht.last.CompareAndSwap(h, nil)
	}
}

// find returns addr's counters, or nil when addr is not tracked.
func (ht *hostTable) find(addr string) *hostStats {
	if h := ht.last.Load(); h != nil && h.addr == addr {
		return h
	}
	if v, ok := ht.fast.Load(addr); ok {
		h := v.(*hostStats)
		ht.last.Store(h)
		return h
	}
	return nil
}

// atCap reports whether a request for h now waits at the per-host cap:
// connections open or being dialed reach it, none of them is free, and
// none speaks HTTP/2 (whose streams share a connection).
func (h *hostStats) atCap(limit int64) bool {
	if limit <= 0 || h.h2.Load() != 0 {
		return false
	}
	live := h.live.Load()
	return live+h.dialing.Load() >= limit && h.inUse.Load() >= live
}

func newHostStats(t *Transport, addr string, attrs attribute.Set) *hostStats {
	h := &hostStats{addr: addr, attrs: attrs, t: t}
	h.gate = dialgate.Gate{Base: t.cfg.DialBackoff, Max: t.cfg.DialBackoffMax,
		OnWait: func() { t.count.dialWaits.Add(1) }, OnBackoff: func() { t.count.dialBackoffs.Add(1) }}
	h.touch()
	return h
}

// all returns every tracked destination's counters, after forgetting the
// quiet ones, and the counts of those already forgotten.
func (ht *hostTable) all(t *Transport) ([]*hostStats, keepconn.ConnStats) {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	ht.sweepLocked(t, false)
	out := make([]*hostStats, 0, len(ht.m)+1)
	for _, h := range ht.m {
		out = append(out, h)
	}
	if ht.other != nil {
		out = append(out, ht.other)
	}
	return out, ht.retired
}

// hostAttrs splits "host:port" into server.address and server.port.
func hostAttrs(addr string) attribute.Set {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return attribute.NewSet(attribute.String(telemetry.AttrServerAddress, addr))
	}
	kv := []attribute.KeyValue{attribute.String(telemetry.AttrServerAddress, host)}
	if p, err := strconv.Atoi(port); err == nil {
		kv = append(kv, attribute.Int(telemetry.AttrServerPort, p))
	}
	return attribute.NewSet(kv...)
}
