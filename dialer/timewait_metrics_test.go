package dialer

import (
	"context"
	"net/netip"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestWatchTimeWaitMatchesCensus: 40 and 25 client-first closes towards
// two destinations read back through a ManualReader as time_wait 40 and
// 25, utilization 0.40 and 0.25 of a 100-port range, and a total equal to
// the census; after Unregister nothing is reported.
func TestWatchTimeWaitMatchesCensus(t *testing.T) {
	cfg := netnstest.Config{PortLow: 40000, PortHigh: 40099}
	netnstest.Run(t, cfg, func(t *testing.T) {
		ctx := context.Background()
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(ctx)
		a := twtest.Serve(t, "127.0.0.1:5000")
		b := twtest.Serve(t, "127.0.0.1:5001")
		d := newCensusDialer(t, Config{MeterProvider: mp})
		censusMust(t, twtest.CloseFirst(ctx, d.DialContext, a, 40, 2))
		censusMust(t, twtest.CloseFirst(ctx, d.DialContext, b, 25, 2))
		// A TIME_WAIT the dialer did not make: counted in the total only.
		censusMust(t, twtest.CloseFirst(ctx, nil, twtest.Serve(t, "127.0.0.1:5002"), 3, 1))
		awaitCensus(t, fromNetlink, 68)

		reg, err := WatchTimeWait(d)
		censusMust(t, err)
		got := collectTW(t, reader)
		c := takeCensus(t, fromNetlink)
		for dst, want := range map[netip.AddrPort]struct {
			tw   int64
			util float64
		}{a: {40, 0.40}, b: {25, 0.25}} {
			if tw := got.ints[twKey{telemetry.TimeWait, dst}]; tw != want.tw || tw != int64(c.ByPeer[dst]) {
				t.Errorf("%s{%s} = %d, want %d (census %d)", telemetry.TimeWait, dst, tw, want.tw, c.ByPeer[dst])
			}
			if u := got.floats[twKey{telemetry.PortBudgetUtilization, dst}]; u != want.util {
				t.Errorf("%s{%s} = %v, want %v", telemetry.PortBudgetUtilization, dst, u, want.util)
			}
		}
		if n := got.ints[twKey{name: TimeWaitTotalMetric}]; n != 68 || n != int64(c.Total) {
			t.Errorf("%s = %d, want 68 (census %d)", TimeWaitTotalMetric, n, c.Total)
		}
		if len(got.ints) != 3 || len(got.floats) != 2 {
			t.Errorf("data twPoints %v %v; want 2 destinations and the total", got.ints, got.floats)
		}
		censusMust(t, reg.Unregister())
		if after := collectTW(t, reader); len(after.ints)+len(after.floats) != 0 {
			t.Errorf("after Unregister: %v %v", after.ints, after.floats)
		}
	})
}

func TestWatchTimeWaitNilDialer(t *testing.T) {
	if _, err := WatchTimeWait(nil); err == nil {
		t.Fatal("WatchTimeWait(nil) succeeded")
	}
}

type twKey struct {
	name string
	dst  netip.AddrPort
}

type twPoints struct {
	ints   map[twKey]int64
	floats map[twKey]float64
}

// collect reads the watcher's gauges; other instruments are ignored.
func collectTW(t *testing.T, r *sdkmetric.ManualReader) twPoints {
	t.Helper()
	var rm metricdata.ResourceMetrics
	censusMust(t, r.Collect(context.Background(), &rm))
	p := twPoints{ints: map[twKey]int64{}, floats: map[twKey]float64{}}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch g := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, dp := range g.DataPoints {
					p.ints[twKey{m.Name, twDstOf(t, dp.Attributes)}] = dp.Value
				}
			case metricdata.Gauge[float64]:
				for _, dp := range g.DataPoints {
					p.floats[twKey{m.Name, twDstOf(t, dp.Attributes)}] = dp.Value
				}
			}
		}
	}
	return p
}

func twDstOf(t *testing.T, s attribute.Set) netip.AddrPort {
	addr, ok1 := s.Value(telemetry.AttrServerAddress)
	port, ok2 := s.Value(telemetry.AttrServerPort)
	if !ok1 || !ok2 {
		return netip.AddrPort{}
	}
	a, err := netip.ParseAddr(addr.AsString())
	censusMust(t, err)
	return netip.AddrPortFrom(a, uint16(port.AsInt64()))
}
