package httpx

import (
	"context"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instruments are the Transport's OpenTelemetry instruments, created once.
type instruments struct {
	churn    *telemetry.ChurnInstruments
	openConn metric.Int64ObservableUpDownCounter
	duration metric.Float64Histogram
}

var (
	stateActive = attribute.String(telemetry.AttrHTTPConnState, "active")
	stateIdle   = attribute.String(telemetry.AttrHTTPConnState, "idle")
)

// registerMetrics creates the instruments and observes every destination's
// counters from one callback. Instrument errors go to otel.Handle; the
// Transport then works without (some) metrics.
func (t *Transport) registerMetrics() (*instruments, metric.Registration) {
	meter := telemetry.Meter(t.cfg.MeterProvider)
	inst, err := newInstruments(meter)
	if err != nil {
		otel.Handle(err)
		return nil, nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		t.observe(o, inst)
		return nil
	}, append(inst.churn.Observables(), inst.openConn)...)
	if err != nil {
		otel.Handle(err)
		return inst, nil
	}
	return inst, reg
}

func newInstruments(m metric.Meter) (*instruments, error) {
	churn, err := telemetry.NewChurnInstruments(m)
	if err != nil {
		return nil, err
	}
	inst := &instruments{churn: churn}
	if inst.openConn, err = m.Int64ObservableUpDownCounter(telemetry.HTTPOpenConnections,
		metric.WithDescription("Number of outbound HTTP connections that are currently active or idle on the client."),
		metric.WithUnit("{connection}")); err != nil {
		return nil, err
	}
	if inst.duration, err = m.Float64Histogram(telemetry.HTTPConnDuration,
		metric.WithDescription("The duration of the successfully established outbound HTTP connections."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)); err != nil {
		return nil, err
	}
	return inst, nil
}

// observe reports the tracked destinations; a destination that left the
// table (see MaxTrackedHosts) is no longer reported.
func (t *Transport) observe(o metric.Observer, inst *instruments) {
	hosts, _ := t.hosts.all(t)
	for _, h := range hosts {
		base := h.attrs.ToSlice()
		open, inUse := h.open.Load(), h.inUse.Load()
		inUse = max(min(inUse, open), 0)
		o.ObserveInt64(inst.openConn, inUse, metric.WithAttributes(append(base, stateActive)...))
		o.ObserveInt64(inst.openConn, open-inUse, metric.WithAttributes(append(base, stateIdle)...))
		var churn telemetry.Churn
		var cs keepconn.ConnStats
		h.dials.AddTo(&cs)
		churn.Opened, churn.DialErrors, churn.AddrNotAvail = cs.Opened, cs.DialErrors, cs.AddrNotAvail
		churn.Open = open
		churn.Closes = h.closes.Snapshot()
		inst.churn.Observe(o, churn, base...)
	}
}

// recordDuration records a closed connection's lifetime.
func (t *Transport) recordDuration(h *hostStats, d time.Duration) {
	if t.inst == nil {
		return
	}
	t.inst.duration.Record(context.Background(), d.Seconds(), metric.WithAttributeSet(h.attrs))
}
