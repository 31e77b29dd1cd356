package redisx

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrument names of redisx's own metrics, beside the shared ones of
// package telemetry. The first three are the names package pool uses for
// the same counts. Waits are cumulative counters observed from Stats, not
// the semantic-convention histogram: go-redis keeps totals only.
const (
	MetricWaits        = "keepconn.pool.waits"
	MetricWaitDuration = "keepconn.pool.wait.duration"
	MetricAcquires     = "keepconn.pool.acquires"
	MetricReaped       = "keepconn.redis.reaped"
)

type instruments struct {
	churn      *telemetry.ChurnInstruments
	count      metric.Int64ObservableUpDownCounter
	max        metric.Int64ObservableUpDownCounter
	timeouts   metric.Int64ObservableCounter
	waits      metric.Int64ObservableCounter
	waitTime   metric.Float64ObservableCounter
	acquires   metric.Int64ObservableCounter
	reaped     metric.Int64ObservableCounter
	createTime metric.Float64Histogram

	base               []attribute.KeyValue
	baseOpt, idle, use metric.MeasurementOption
	reusedOpt, newOpt  metric.MeasurementOption
	recordOpt          metric.RecordOption
}

// registerMetrics creates the instruments on cfg.MeterProvider and
// observes Stats from one callback. It uses no go-redis hook and nothing
// process-wide, so it works beside redisotel. Instrument errors go to
// otel.Handle; the client then works without metrics.
func (m *monitor) registerMetrics() {
	meter := telemetry.Meter(m.cfg.MeterProvider)
	in, err := newInstruments(meter, m.poolName)
	if err != nil {
		otel.Handle(err)
		return
	}
	m.inst = in
	m.metrics, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.observe(o, m)
		return nil
	}, append(in.churn.Observables(), in.count, in.max, in.timeouts, in.waits, in.waitTime, in.acquires, in.reaped)...)
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
		metric.WithDescription("The most connections the client opens at once to one server (PoolSize).")); err != nil {
		return nil, err
	}
	if in.timeouts, err = m.Int64ObservableCounter(telemetry.DBConnTimeouts, metric.WithUnit("{timeout}"),
		metric.WithDescription("Commands that gave up waiting for a connection (PoolTimeout).")); err != nil {
		return nil, err
	}
	if in.waits, err = m.Int64ObservableCounter(MetricWaits, metric.WithUnit("{acquire}"),
		metric.WithDescription("Commands that waited for a connection because PoolSize were in use.")); err != nil {
		return nil, err
	}
	if in.waitTime, err = m.Float64ObservableCounter(MetricWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Total time commands waited for a connection.")); err != nil {
		return nil, err
	}
	if in.acquires, err = m.Int64ObservableCounter(MetricAcquires, metric.WithUnit("{acquire}"),
		metric.WithDescription("Connections taken from the pool, by whether an open one was reused.")); err != nil {
		return nil, err
	}
	if in.reaped, err = m.Int64ObservableCounter(MetricReaped, metric.WithUnit("{connection}"),
		metric.WithDescription("Idle connections the server closed that the reaper closed (no CLOSE_WAIT left).")); err != nil {
		return nil, err
	}
	if in.createTime, err = m.Float64Histogram(telemetry.DBConnCreateTime, metric.WithUnit("s"),
		metric.WithDescription("Time to open a connection: TCP, and TLS when configured.")); err != nil {
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
	in.reusedOpt = metric.WithAttributeSet(with(attribute.Bool("reused", true)))
	in.newOpt = metric.WithAttributeSet(with(attribute.Bool("reused", false)))
	in.recordOpt = metric.WithAttributeSet(with())
}

func (in *instruments) observe(o metric.Observer, m *monitor) {
	s := m.stats()
	in.churn.Observe(o, telemetry.Churn{Opened: s.Opened, DialErrors: s.DialErrors,
		AddrNotAvail: s.AddrNotAvail, Open: s.Open, Closes: m.closes.Snapshot()}, in.base...)
	o.ObserveInt64(in.count, s.Idle, in.idle)
	o.ObserveInt64(in.count, s.InUse, in.use)
	o.ObserveInt64(in.max, s.PoolSize, in.baseOpt)
	o.ObserveInt64(in.timeouts, s.Timeouts, in.baseOpt)
	o.ObserveInt64(in.waits, s.WaitCount, in.baseOpt)
	o.ObserveFloat64(in.waitTime, s.WaitDuration.Seconds(), in.baseOpt)
	o.ObserveInt64(in.acquires, s.Reused, in.reusedOpt)
	o.ObserveInt64(in.acquires, s.Acquisitions-s.Reused, in.newOpt)
	o.ObserveInt64(in.reaped, s.Reaped, in.baseOpt)
}

// recordDial records one successful dial's duration.
func (m *monitor) recordDial(ctx context.Context, d time.Duration) {
	if m.inst != nil {
		m.inst.createTime.Record(ctx, d.Seconds(), m.inst.recordOpt)
	}
}
