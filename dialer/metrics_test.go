package dialer

import (
	"context"
	"net/netip"
	"testing"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// sumPoints returns the points of the named sum instrument.
func sumPoints(t *testing.T, rm metricdata.ResourceMetrics, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data.(metricdata.Sum[int64]).DataPoints
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func valueWith(points []metricdata.DataPoint[int64], kvs ...attribute.KeyValue) (int64, bool) {
	for _, p := range points {
		match := true
		for _, kv := range kvs {
			if v, ok := p.Attributes.Value(kv.Key); !ok || v != kv.Value {
				match = false
			}
		}
		if match {
			return p.Value, true
		}
	}
	return 0, false
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func destAttrs(addr string) []attribute.KeyValue {
	ap := netip.MustParseAddrPort(addr)
	return []attribute.KeyValue{
		attribute.String(telemetry.AttrServerAddress, ap.Addr().String()),
		attribute.Int(telemetry.AttrServerPort, int(ap.Port())),
	}
}

func TestMetricsMatchStats(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	active := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{MeterProvider: mp})
	for range 3 {
		dialOrFail(t, d, active.addr()).Close()
	}
	held := dialOrFail(t, d, active.addr())
	defer held.Close()
	d.Dial("tcp", "127.0.0.1:1") // refused

	rm := collect(t, reader)
	s := d.Stats()
	srv, refused := destAttrs(active.addr()), destAttrs("127.0.0.1:1")
	with := func(base []attribute.KeyValue, kvs ...attribute.KeyValue) []attribute.KeyValue {
		return append(append([]attribute.KeyValue(nil), base...), kvs...)
	}
	checks := []struct {
		name string
		kvs  []attribute.KeyValue
		want int64
	}{
		{telemetry.ConnOpened, srv, s.Opened},
		{telemetry.ConnOpen, srv, 1},
		{telemetry.ConnClosed, with(srv, attribute.String(telemetry.AttrSide, "active"), attribute.String(telemetry.AttrReason, "closed")), s.ActiveCloses},
		{telemetry.DialErrors, with(refused, attribute.String("error.type", "_OTHER")), 1},
		{telemetry.DialErrors, with(refused, attribute.String("error.type", "EADDRNOTAVAIL")), 0},
		{telemetry.DialErrors, with(srv, attribute.String("error.type", "_OTHER")), 0},
	}
	for _, c := range checks {
		got, ok := valueWith(sumPoints(t, rm, c.name), c.kvs...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %d (found %v), want %d", c.name, c.kvs, got, ok, c.want)
		}
	}
	if s.Opened != 4 || s.ActiveCloses != 3 || s.Closed != 3 || s.DialErrors != 1 {
		t.Fatalf("stats %+v, want 4 opened, 3 active closes for reason closed, 1 dial error", s)
	}
}

// Two dialers on one MeterProvider, towards two destinations, are two
// series each, and a dialer shared by a claiming adapter and a direct user
// reports only the direct user's connections, while its Stats count all.
func TestMetricsSeparateDialersAndClaims(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	srvA := startServer(t, "127.0.0.1:0", drainUntilEOF)
	srvB := startServer(t, "127.0.0.1:0", drainUntilEOF)
	shared := mustNew(t, Config{MeterProvider: mp})
	other := mustNew(t, Config{MeterProvider: mp})

	claimed := telemetry.Claim(context.Background())
	for range 5 { // a pool-like adapter: it reports these itself
		c, err := shared.DialContext(claimed, "tcp", srvA.addr())
		if err != nil {
			t.Fatal(err)
		}
		if err := CloseConn(c, telemetry.ReasonMaxIdle, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // a direct user
		dialOrFail(t, shared, srvA.addr()).Close()
	}
	for range 3 {
		dialOrFail(t, other, srvB.addr()).Close()
	}
	rm := collect(t, reader)
	opened := sumPoints(t, rm, telemetry.ConnOpened)
	if got, _ := valueWith(opened, destAttrs(srvA.addr())...); got != 2 {
		t.Errorf("opened towards A = %d, want the 2 direct dials (claimed ones are the adapter's)", got)
	}
	if got, _ := valueWith(opened, destAttrs(srvB.addr())...); got != 3 {
		t.Errorf("opened towards B = %d, want 3", got)
	}
	var total int64
	for _, p := range opened {
		total += p.Value
	}
	if total != 5 || len(opened) != 2 {
		t.Errorf("opened: %d series summing to %d, want 2 series summing to 5", len(opened), total)
	}
	closed := sumPoints(t, rm, telemetry.ConnClosed)
	if _, ok := valueWith(closed, attribute.String(telemetry.AttrReason, "max_idle")); ok {
		t.Errorf("the claimed closes (max_idle) reached the dialer's metrics")
	}
	s := shared.Stats()
	if s.Opened != 7 || s.MaxIdleClosed != 5 || s.Closed != 2 || s.Open != 0 {
		t.Errorf("shared Stats %+v, want 7 opened, 5 max_idle and 2 closed", s.ConnStats)
	}
}

func TestCloseUnregistersMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d, err := New(Config{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if pts, ok := m.Data.(metricdata.Sum[int64]); ok && len(pts.DataPoints) > 0 {
				t.Fatalf("metric %s still reported after Close", m.Name)
			}
		}
	}
}
