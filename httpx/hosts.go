package httpx

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// MaxTrackedHosts caps how many destinations get their own counters and
// metric attributes; further ones share one entry whose server.address is
// "_OTHER", so metric cardinality stays bounded.
const MaxTrackedHosts = 256

// hostStats are the connection counters of one destination ("host:port"
// as the Transport dials it).
type hostStats struct {
	addr  string
	attrs attribute.Set

	opened, dialErrors, addrNotAvail atomic.Int64
	open, inUse                      atomic.Int64
	closes                           telemetry.Closes
}

func (h *hostStats) countDialError(err error) {
	h.dialErrors.Add(1)
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		h.addrNotAvail.Add(1)
	}
}

// hostTable maps destinations to their counters. Lookups happen on dials
// only, so a mutex is cheap enough.
type hostTable struct {
	mu    sync.Mutex
	m     map[string]*hostStats
	order []*hostStats
	other *hostStats
}

func (ht *hostTable) get(addr string) *hostStats {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	if h := ht.m[addr]; h != nil {
		return h
	}
	if len(ht.m) >= MaxTrackedHosts {
		if ht.other == nil {
			ht.other = newHostStats("_OTHER", attribute.NewSet(attribute.String(telemetry.AttrServerAddress, "_OTHER")))
			ht.order = append(ht.order, ht.other)
		}
		return ht.other
	}
	if ht.m == nil {
		ht.m = make(map[string]*hostStats)
	}
	h := newHostStats(addr, hostAttrs(addr))
	ht.m[addr] = h
	ht.order = append(ht.order, h)
	return h
}

func newHostStats(addr string, attrs attribute.Set) *hostStats {
	return &hostStats{addr: addr, attrs: attrs}
}

// all returns every destination's counters, in the order first dialed.
func (ht *hostTable) all() []*hostStats {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	return append([]*hostStats(nil), ht.order...)
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
