package sqlx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/internal/telemetry"
	"github.com/keepconn/keepconn/sqlx"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMetrics: the semantic-convention gauges and keepconn's churn
// counters report what Stats says, every series with the pool name, and
// no attribute carries the DSN, user or password.
func TestMetrics(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 8, MaxIdle: 2, MinIdle: 1, MeterProvider: mp})
	runBursts(db.DB, 8, 20, 0)
	s := quiet(t, db)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sumInt(t, m, got)
		}
	}
	want := map[string]int64{
		telemetry.DBConnMax:                     8,
		telemetry.DBConnIdleMax:                 2,
		telemetry.DBConnIdleMin:                 1,
		telemetry.ConnOpened:                    s.Opened,
		telemetry.ConnClosed + "/max_idle":      s.MaxIdleClosed,
		telemetry.DBConnCount + "/idle":         s.Idle,
		telemetry.DBConnCount + "/used":         s.InUse,
		telemetry.DBConnCreateTime + "/samples": s.Opened,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (Stats)", k, got[k], v)
		}
	}
	if s.MaxIdleClosed == 0 {
		t.Errorf("MaxIdle 2 under 8 workers did not churn")
	}
}

// sumInt folds a metric's points into got, checking each point's
// attributes: the pool name is there, and nothing like a DSN.
func sumInt(t *testing.T, m metricdata.Metrics, got map[string]int64) {
	check := func(set attribute.Set) {
		if v, ok := set.Value(telemetry.AttrPoolName); !ok || v.AsString() == "" {
			t.Errorf("%s: a point without %s", m.Name, telemetry.AttrPoolName)
		}
		for _, kv := range set.ToSlice() {
			if s := kv.Value.Emit(); strings.Contains(s, "postgres://") || strings.Contains(s, "@") {
				t.Errorf("%s: attribute %s=%q looks like a DSN", m.Name, kv.Key, s)
			}
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			check(p.Attributes)
			key := m.Name
			if v, ok := p.Attributes.Value(telemetry.AttrPoolState); ok {
				key += "/" + v.AsString()
			}
			if v, ok := p.Attributes.Value(telemetry.AttrReason); ok {
				key += "/" + v.AsString()
			}
			got[key] += p.Value
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			check(p.Attributes)
			got[m.Name+"/samples"] += int64(p.Count)
		}
	}
}
