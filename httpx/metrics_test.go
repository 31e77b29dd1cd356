package httpx_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// The metrics carry the counts, per destination, and the Transport keeps
// its guarantees under otelhttp (which wraps it and its bodies).
func TestMetricsUnderOtelhttp(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	const n = 300
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	tr := httpx.MustNew(httpx.Config{MeterProvider: mp, MaxConnsPerHost: 4})
	client := &http.Client{Transport: otelhttp.NewTransport(tr, otelhttp.WithMeterProvider(mp))}
	// Bodies closed unread: drained through otelhttp's body wrapper.
	if res := load(client, ts.URL, n, 4, false); res.errs != 0 {
		t.Fatalf("%d failed, first: %v", res.errs, res.firstErr)
	}
	s := tr.Stats()
	if s.Opened > 4 || s.Drained != n || s.Acquisitions != n {
		t.Fatalf("under otelhttp: %+v", s)
	}
	defer tr.Close()
	tr.CloseIdleConnections() // the closes are recorded

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	port := attribute.Int(telemetry.AttrServerPort, ts.Port)
	if got := sumInt(rm, telemetry.ConnOpened, port); got != s.Opened {
		t.Errorf("%s = %d, want %d", telemetry.ConnOpened, got, s.Opened)
	}
	closed := sumInt(rm, telemetry.ConnClosed, port, attribute.String(telemetry.AttrReason, "closed"))
	if closed != s.Opened {
		t.Errorf("%s{reason=closed} = %d, want %d", telemetry.ConnClosed, closed, s.Opened)
	}
	if got := sumInt(rm, telemetry.HTTPOpenConnections, port); got != 0 {
		t.Errorf("%s = %d after Close, want 0", telemetry.HTTPOpenConnections, got)
	}
	if got := histCount(rm, telemetry.HTTPConnDuration, port); got != uint64(s.Opened) {
		t.Errorf("%s count = %d, want %d", telemetry.HTTPConnDuration, got, s.Opened)
	}
	if !hasMetric(rm, "http.client.request.duration") {
		t.Errorf("otelhttp recorded no http.client.request.duration")
	}
}

func TestOpenConnectionsByState(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	tr := httpx.MustNew(httpx.Config{MeterProvider: mp})
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL) // body open: connection active
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	active := attribute.String(telemetry.AttrHTTPConnState, "active")
	idle := attribute.String(telemetry.AttrHTTPConnState, "idle")
	if a, i := sumInt(rm, telemetry.HTTPOpenConnections, active), sumInt(rm, telemetry.HTTPOpenConnections, idle); a != 1 || i != 0 {
		t.Errorf("while reading: active %d idle %d, want 1 0", a, i)
	}
	resp.Body.Close()
	rm = metricdata.ResourceMetrics{}
	reader.Collect(context.Background(), &rm)
	if a, i := sumInt(rm, telemetry.HTTPOpenConnections, active), sumInt(rm, telemetry.HTTPOpenConnections, idle); a != 0 || i != 1 {
		t.Errorf("after Close: active %d idle %d, want 0 1", a, i)
	}
	if s := tr.Stats(); s.Open != 1 || s.InUse != 0 || s.Idle != 1 {
		t.Errorf("Stats: %+v", s)
	}
}

// sumInt adds the int64 data points of the named metric that carry every
// attribute in want.
func sumInt(rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	var n int64
	for _, m := range metricsNamed(rm, name) {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range sum.DataPoints {
				if hasAll(dp.Attributes, want) {
					n += dp.Value
				}
			}
		}
	}
	return n
}

func histCount(rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) uint64 {
	var n uint64
	for _, m := range metricsNamed(rm, name) {
		if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
			for _, dp := range h.DataPoints {
				if hasAll(dp.Attributes, want) {
					n += dp.Count
				}
			}
		}
	}
	return n
}

func hasMetric(rm metricdata.ResourceMetrics, name string) bool {
	return len(metricsNamed(rm, name)) > 0
}

func metricsNamed(rm metricdata.ResourceMetrics, name string) []metricdata.Metrics {
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				out = append(out, m)
			}
		}
	}
	return out
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// A dialer shared with the Transport, both on one MeterProvider: the
// Transport's dials are claimed, so keepconn.connection.opened summed over
// every series counts each connection once; the dialer's Stats still
// count them.
func TestSharedDialerNotCountedTwice(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d, err := dialer.New(dialer.Config{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	tr := httpx.MustNew(httpx.Config{Dialer: d, MeterProvider: mp, MaxConnsPerHost: 4})
	defer tr.Close()
	if res := load(&http.Client{Transport: tr}, ts.URL, 200, 4, true); res.errs != 0 {
		t.Fatalf("%d failed, first: %v", res.errs, res.firstErr)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	s := tr.Stats()
	if got := sumInt(rm, telemetry.ConnOpened); got != s.Opened || d.Stats().Opened != s.Opened {
		t.Fatalf("%s summed over all series = %d, dialer Stats %d, Transport %d: want all equal",
			telemetry.ConnOpened, got, d.Stats().Opened, s.Opened)
	}
}
