package pool_test

import (
	"context"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/pool"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMetrics(t *testing.T) {
	srv := startServer(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	p := newPool(t, pool.Config{Addr: srv.addr(), Name: "cache", MaxConns: 3, MaxIdle: 1, MeterProvider: mp})
	burst(t, p, 3)
	eventually(t, "closes", func() bool { s := p.Stats(); return s.MaxIdleClosed == 2 && s.Open == 1 })

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var dps []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				dps = d.DataPoints
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					points[m.Name] += int64(dp.Count)
				}
			}
			for _, dp := range dps {
				if v, _ := dp.Attributes.Value("db.client.connection.pool.name"); v.AsString() != "cache" {
					t.Errorf("%s without the pool name: %v", m.Name, dp.Attributes)
				}
				if v, _ := dp.Attributes.Value("server.port"); v.AsInt64() != int64(srv.port()) {
					t.Errorf("%s without the server port %d: %v", m.Name, srv.port(), dp.Attributes)
				}
				points[m.Name+label(dp.Attributes)] += dp.Value
			}
		}
	}
	for name, want := range map[string]int64{
		"keepconn.connection.opened":                  3,
		"keepconn.connection.closed{max_idle,active}": 2,
		"db.client.connection.count{idle}":            1,
		"db.client.connection.count{used}":            0,
		"db.client.connection.max":                    3,
		"db.client.connection.idle.max":               1,
		"db.client.connection.idle.min":               0,
		"db.client.connection.create_time":            3,
		"keepconn.pool.acquisitions{false}":           3,
		"keepconn.connection.open":                    1,
		"db.client.connection.timeouts":               0,
	} {
		if got, ok := points[name]; !ok || got != want {
			t.Errorf("%s = %d (reported %v), want %d; all: %v", name, got, ok, want, points)
		}
	}
}

// A keepconn dialer shared by the pool reports nothing of the pool's
// connections in its own metrics (the pool dials under telemetry's claim),
// so summed over every series each connection is counted once; its Stats
// still count them.
func TestMetricsNoDoubleCount(t *testing.T) {
	srv := startServer(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d, err := dialer.New(dialer.Config{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: d.DialContext, MaxConns: 3, MeterProvider: mp})
	burst(t, p, 3)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var opened int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "keepconn.connection.opened" {
				for _, dp := range sum.DataPoints {
					opened += dp.Value
				}
			}
		}
	}
	if opened != 3 || d.Stats().Opened != 3 || p.Stats().Opened != 3 {
		t.Fatalf("keepconn.connection.opened sums to %d over all series, dialer Stats %d, pool %d; want 3 each",
			opened, d.Stats().Opened, p.Stats().Opened)
	}
}

// label renders the attributes a test cares about, in a fixed order.
func label(set attribute.Set) string {
	var parts []string
	for _, k := range []attribute.Key{"keepconn.close.reason", "keepconn.close.side", "db.client.connection.state", "keepconn.pool.reused"} {
		if v, ok := set.Value(k); ok {
			parts = append(parts, v.Emit())
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := "{" + parts[0]
	for _, p := range parts[1:] {
		s += "," + p
	}
	return s + "}"
}
