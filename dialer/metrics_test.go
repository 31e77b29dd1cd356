package dialer

import (
	"context"
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

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	s := d.Stats()
	checks := []struct {
		name string
		kvs  []attribute.KeyValue
		want int64
	}{
		{telemetry.ConnOpened, nil, s.Opened},
		{telemetry.ConnOpen, nil, 1},
		{telemetry.ConnClosed, []attribute.KeyValue{attribute.String("side", "active"), attribute.String("reason", "closed")}, s.ActiveCloses},
		{telemetry.DialErrors, []attribute.KeyValue{attribute.String("error.type", "_OTHER")}, 1},
		{telemetry.DialErrors, []attribute.KeyValue{attribute.String("error.type", "EADDRNOTAVAIL")}, 0},
	}
	for _, c := range checks {
		got, ok := valueWith(sumPoints(t, rm, c.name), c.kvs...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %d (found %v), want %d", c.name, c.kvs, got, ok, c.want)
		}
	}
	if s.Opened != 4 || s.ActiveCloses != 3 {
		t.Fatalf("stats %+v, want 4 opened, 3 active closes", s)
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
