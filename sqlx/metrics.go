package sqlx

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrument names beside the semantic-convention ones. database/sql
// gives only the total wait, so waits are cumulative counters under
// keepconn's names rather than the db.client.connection.wait_time
// histogram.
const (
	MetricIdleMax      = "db.client.connection.idle.max"
	MetricIdleMin      = "db.client.connection.idle.min"
	MetricWaits        = "keepconn.db.connection.waits"
	MetricWaitDuration = "keepconn.db.connection.wait.duration"
	// MetricDBStatsClosed is a watched *sql.DB's closes by the reasons
	// DBStats counts, without side.
	MetricDBStatsClosed = "keepconn.db.connection.closed"
)

type instruments struct {
	churn                    *telemetry.ChurnInstruments
	count, max, idleMax      metric.Int64ObservableUpDownCounter
	idleMin                  metric.Int64ObservableUpDownCounter
	waits                    metric.Int64ObservableCounter
	waitTime                 metric.Float64ObservableCounter
	createTime               metric.Float64Histogram
	base                     []attribute.KeyValue
	baseOpt, idleOpt, useOpt metric.MeasurementOption
}

func newInstruments(m metric.Meter, name string) (*instruments, error) {
	in := &instruments{base: []attribute.KeyValue{attribute.String(telemetry.AttrPoolName, name)}}
	var err error
	if in.churn, err = telemetry.NewChurnInstruments(m); err != nil {
		return nil, err
	}
	gauge := func(name, desc string) metric.Int64ObservableUpDownCounter {
		if err != nil {
			return nil
		}
		var g metric.Int64ObservableUpDownCounter
		g, err = m.Int64ObservableUpDownCounter(name, metric.WithUnit("{connection}"), metric.WithDescription(desc))
		return g
	}
	in.count = gauge(telemetry.DBConnCount, "Connections open now, by state (idle or used).")
	in.max = gauge(telemetry.DBConnMax, "The most connections open at once (MaxOpen).")
	in.idleMax = gauge(MetricIdleMax, "The most idle connections kept (MaxIdle).")
	in.idleMin = gauge(MetricIdleMin, "The idle connections kept ready (MinIdle).")
	if err != nil {
		return nil, err
	}
	if in.waits, err = m.Int64ObservableCounter(MetricWaits, metric.WithUnit("{wait}"),
		metric.WithDescription("Queries that waited for a connection at MaxOpen.")); err != nil {
		return nil, err
	}
	if in.waitTime, err = m.Float64ObservableCounter(MetricWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Total time queries waited for a connection.")); err != nil {
		return nil, err
	}
	if in.createTime, err = m.Float64Histogram(telemetry.DBConnCreateTime, metric.WithUnit("s"),
		metric.WithDescription("Time to open a connection: dial and handshake.")); err != nil {
		return nil, err
	}
	with := func(extra ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(append([]attribute.KeyValue(nil), in.base...), extra...)...))
	}
	in.baseOpt = with()
	in.idleOpt = with(attribute.String(telemetry.AttrPoolState, "idle"))
	in.useOpt = with(attribute.String(telemetry.AttrPoolState, "used"))
	return in, nil
}

func (in *instruments) observables() []metric.Observable {
	return append(in.churn.Observables(), in.count, in.max, in.idleMax, in.idleMin, in.waits, in.waitTime)
}

// observePool reports the gauges and wait counters every DB and watched
// *sql.DB has.
func (in *instruments) observePool(o metric.Observer, s Stats, minIdle int) {
	o.ObserveInt64(in.count, s.Idle, in.idleOpt)
	o.ObserveInt64(in.count, s.InUse, in.useOpt)
	o.ObserveInt64(in.max, s.MaxOpen, in.baseOpt)
	o.ObserveInt64(in.idleMax, s.MaxIdle, in.baseOpt)
	o.ObserveInt64(in.idleMin, int64(minIdle), in.baseOpt)
	o.ObserveInt64(in.waits, s.WaitCount, in.baseOpt)
	o.ObserveFloat64(in.waitTime, s.WaitDuration.Seconds(), in.baseOpt)
}

// registerMetrics observes Stats from one callback. Instrument errors go
// to otel.Handle; the DB then works without metrics.
func (db *DB) registerMetrics() metric.Registration {
	meter := telemetry.Meter(db.cfg.MeterProvider)
	in, err := newInstruments(meter, db.cfg.Name)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	db.c.createTime.Store(&createRecorder{h: in.createTime, opt: metric.WithAttributeSet(attribute.NewSet(in.base...))})
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := db.Stats()
		in.churn.Observe(o, db.churn(s), in.base...)
		in.observePool(o, s, db.cfg.MinIdle)
		return nil
	}, in.observables()...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}

type createRecorder struct {
	h   metric.Float64Histogram
	opt metric.RecordOption
}

func (r *createRecorder) record(ctx context.Context, d time.Duration) {
	r.h.Record(ctx, d.Seconds(), r.opt)
}
