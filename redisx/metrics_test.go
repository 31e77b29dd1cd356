package redisx

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// countingHook is a command hook of the kind redisotel installs.
type countingHook struct{ cmds atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestMetricsBesideCommandHooks(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 10, MaxIdleConns: 2},
		Config{MeterProvider: mp, KeepPoolSettings: true})
	if err != nil {
		t.Fatal(err)
	}
	hook := &countingHook{}
	c.AddHook(hook)
	if failed := bursts(ctx, c, 5, 20, 0); failed != 0 {
		t.Fatalf("%d commands failed", failed)
	}
	if hook.cmds.Load() < 100 {
		t.Errorf("the command hook saw %d commands", hook.cmds.Load())
	}
	var s Stats
	waitFor(t, func() bool { // the goodbyes of the last evictions are counted
		prev := c.Stats()
		time.Sleep(50 * time.Millisecond)
		s = c.Stats()
		return s.ConnStats == prev.ConnStats && s.Open == s.Idle
	})
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sumInts(m, got)
		}
	}
	want := map[string]int64{
		telemetry.ConnOpened:                       s.Opened,
		telemetry.ConnClosed + "|max_idle|passive": s.MaxIdleClosed,
		telemetry.DBConnMax:                        10,
		telemetry.PoolAcquisitions:                 s.Acquisitions,
		telemetry.DBConnCount:                      s.Open,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	c.Close()
}

// sumInts adds every int data point of m under its name, and under
// name|reason|side for the close counter.
func sumInts(m metricdata.Metrics, got map[string]int64) {
	add := func(attrs attribute.Set, v int64) {
		got[m.Name] += v
		if r, ok := attrs.Value(telemetry.AttrReason); ok {
			s, _ := attrs.Value(telemetry.AttrSide)
			got[m.Name+"|"+r.AsString()+"|"+s.AsString()] += v
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, p.Value)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, p.Value)
		}
	}
}
