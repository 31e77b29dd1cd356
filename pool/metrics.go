package pool

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrument names of the pool's own metrics, beside the shared ones of
// package telemetry. Acquire waits are cumulative counters observed from
// Stats, not a histogram: a histogram would cost a clock read and a
// recording on every Acquire.
const (
	// MetricWaits counts acquisitions that waited at MaxConns
	// (Stats.WaitCount).
	MetricWaits = "keepconn.pool.waits"
	// MetricWaitDuration is their total wait in seconds
	// (Stats.WaitDuration).
	MetricWaitDuration = "keepconn.pool.wait.duration"
	// MetricAcquisitions counts acquisitions, by AttrReused
	// (Stats.Acquisitions, Stats.Reused).
	MetricAcquisitions = "keepconn.pool.acquisitions"
)

// AttrReused is the attribute of MetricAcquisitions: true for an
// acquisition served by a connection that had served before.
const AttrReused = "keepconn.pool.reused"

type instruments struct {
	churn      *telemetry.ChurnInstruments
	count      metric.Int64ObservableUpDownCounter
	max        metric.Int64ObservableUpDownCounter
	timeouts   metric.Int64ObservableCounter
	waits      metric.Int64ObservableCounter
	waitTime   metric.Float64ObservableCounter
	acquires   metric.Int64ObservableCounter
	createTime metric.Float64Histogram

	base               []attribute.KeyValue
	baseOpt, idle, use metric.MeasurementOption
	reusedOpt, newOpt  metric.MeasurementOption
	recordOpt          metric.RecordOption
}

// registerMetrics creates the instruments and observes Stats from one
// callback. Instrument errors go to otel.Handle; the pool then works
// without metrics.
func (p *Pool) registerMetrics() {
	meter := telemetry.Meter(p.cfg.MeterProvider)
	inst, err := newInstruments(meter, p.cfg.Name)
	if err != nil {
		otel.Handle(err)
		return
	}
	p.inst = inst
	p.metrics, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		inst.observe(o, p.Stats(), p)
		return nil
	}, append(inst.churn.Observables(), inst.count, inst.max, inst.timeouts, inst.waits, inst.waitTime, inst.acquires)...)
	if err != nil {
		otel.Handle(err)
	}
}

func newInstruments(m metric.Meter, name string) (*instruments, error) {
	in := &instruments{base: []attribute.KeyValue{attribute.String(telemetry.AttrPoolName, name)}}
	var err error
	if in.churn, err = telemetry.NewChurnInstruments(m); err != nil {
		return nil, err
	}
	if in.count, err = m.Int64ObservableUpDownCounter(telemetry.DBConnCount, metric.WithUnit("{connection}"),
		metric.WithDescription("Connections open now, by state (idle or used).")); err != nil {
		return nil, err
	}
	if in.max, err = m.Int64ObservableUpDownCounter(telemetry.DBConnMax, metric.WithUnit("{connection}"),
		metric.WithDescription("The most connections the pool opens at once.")); err != nil {
		return nil, err
	}
	if in.timeouts, err = m.Int64ObservableCounter(telemetry.DBConnTimeouts, metric.WithUnit("{timeout}"),
		metric.WithDescription("Acquires ended by their context before a connection was available.")); err != nil {
		return nil, err
	}
	if in.waits, err = m.Int64ObservableCounter(MetricWaits, metric.WithUnit("{acquire}"),
		metric.WithDescription("Acquisitions that found no idle connection while MaxConns were open or dialing, and waited.")); err != nil {
		return nil, err
	}
	if in.waitTime, err = m.Float64ObservableCounter(MetricWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Total time acquisitions waited at MaxConns.")); err != nil {
		return nil, err
	}
	if in.acquires, err = m.Int64ObservableCounter(MetricAcquisitions, metric.WithUnit("{acquire}"),
		metric.WithDescription("Connections handed out, by whether an open one was reused.")); err != nil {
		return nil, err
	}
	if in.createTime, err = m.Float64Histogram(telemetry.DBConnCreateTime, metric.WithUnit("s"),
		metric.WithDescription("Time to dial a new connection.")); err != nil {
		return nil, err
	}
	in.prepare()
	return in, nil
}

func (in *instruments) prepare() {
	with := func(extra ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(append([]attribute.KeyValue(nil), in.base...), extra...)...)
	}
	in.baseOpt = metric.WithAttributeSet(with())
	in.idle = metric.WithAttributeSet(with(attribute.String(telemetry.AttrPoolState, "idle")))
	in.use = metric.WithAttributeSet(with(attribute.String(telemetry.AttrPoolState, "used")))
	in.reusedOpt = metric.WithAttributeSet(with(attribute.Bool(AttrReused, true)))
	in.newOpt = metric.WithAttributeSet(with(attribute.Bool(AttrReused, false)))
	in.recordOpt = metric.WithAttributeSet(with())
}

func (in *instruments) observe(o metric.Observer, s Stats, p *Pool) {
	in.churn.Observe(o, p.churn(s), in.base...)
	o.ObserveInt64(in.count, s.Idle, in.idle)
	o.ObserveInt64(in.count, s.InUse, in.use)
	o.ObserveInt64(in.max, s.MaxOpen, in.baseOpt)
	o.ObserveInt64(in.timeouts, s.Timeouts, in.baseOpt)
	o.ObserveInt64(in.waits, s.WaitCount, in.baseOpt)
	o.ObserveFloat64(in.waitTime, s.WaitDuration.Seconds(), in.baseOpt)
	o.ObserveInt64(in.acquires, s.Reused, in.reusedOpt)
	o.ObserveInt64(in.acquires, s.Acquisitions-s.Reused, in.newOpt)
}

// recordDial records one successful dial's duration.
func (p *Pool) recordDial(ctx context.Context, d time.Duration) {
	if p.inst != nil {
		p.inst.createTime.Record(ctx, d.Seconds(), p.inst.recordOpt)
	}
}
