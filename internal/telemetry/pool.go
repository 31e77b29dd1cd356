package telemetry

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/keepconn/keepconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// PoolLimits are the caps a pool reports beside its keepconn.PoolStats.
// A zero MinIdle is reported as such; a zero MaxOpen or MaxIdle means the
// pool has no such cap and is not reported.
type PoolLimits struct {
	MaxOpen, MaxIdle, MinIdle int64
}

// PoolInstruments are the instruments every keepconn pool (pool, sqlx,
// redisx) reports, under one set of names: the churn instruments, the
// semantic-convention gauges (db.client.connection.count by state, .max,
// .idle.max, .idle.min, .timeouts, .create_time) and keepconn's own
// cumulative wait and acquisition counters. Create them once per pool
// with its attributes and observe them from the pool's callback.
type PoolInstruments struct {
	churn        *ChurnInstruments
	count        metric.Int64ObservableUpDownCounter
	max          metric.Int64ObservableUpDownCounter
	idleMax      metric.Int64ObservableUpDownCounter
	idleMin      metric.Int64ObservableUpDownCounter
	timeouts     metric.Int64ObservableCounter
	waits        metric.Int64ObservableCounter
	waitTime     metric.Float64ObservableCounter
	acquisitions metric.Int64ObservableCounter
	createTime   metric.Float64Histogram

	base                []attribute.KeyValue
	baseOpt, idle, used metric.MeasurementOption
	reusedOpt, newOpt   metric.MeasurementOption
	recordOpt           metric.RecordOption
}

// NewPoolInstruments creates the pool instruments on m; every data point
// carries base (the pool name, the server address and port).
func NewPoolInstruments(m metric.Meter, base ...attribute.KeyValue) (*PoolInstruments, error) {
	pi := &PoolInstruments{base: append([]attribute.KeyValue(nil), base...)}
	var err error
	if pi.churn, err = NewChurnInstruments(m); err != nil {
		return nil, err
	}
	gauge := func(name, desc string) metric.Int64ObservableUpDownCounter {
		var g metric.Int64ObservableUpDownCounter
		if err == nil {
			g, err = m.Int64ObservableUpDownCounter(name, metric.WithUnit("{connection}"), metric.WithDescription(desc))
		}
		return g
	}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		var c metric.Int64ObservableCounter
		if err == nil {
			c, err = m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
		return c
	}
	pi.count = gauge(DBConnCount, "Connections open now, by state (idle or used).")
	pi.max = gauge(DBConnMax, "The most connections the pool opens at once.")
	pi.idleMax = gauge(DBConnIdleMax, "The most idle connections the pool keeps: a connection coming back beyond it is closed.")
	pi.idleMin = gauge(DBConnIdleMin, "The idle connections the pool keeps ready.")
	pi.timeouts = counter(DBConnTimeouts, "{timeout}", "Acquisitions ended by their context or timeout before a connection was handed out.")
	pi.waits = counter(PoolWaits, "{acquisition}", "Acquisitions that waited because the connection cap was reached.")
	pi.acquisitions = counter(PoolAcquisitions, "{acquisition}", "Acquisitions served, by whether the connection had served before (keepconn.pool.reused).")
	if err != nil {
		return nil, err
	}
	if pi.waitTime, err = m.Float64ObservableCounter(PoolWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Total time acquisitions waited at the connection cap.")); err != nil {
		return nil, err
	}
	if pi.createTime, err = m.Float64Histogram(DBConnCreateTime, metric.WithUnit("s"),
		metric.WithDescription("Time to open a new connection.")); err != nil {
		return nil, err
	}
	pi.prepare()
	return pi, nil
}

func (pi *PoolInstruments) prepare() {
	with := func(extra ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(append([]attribute.KeyValue(nil), pi.base...), extra...)...)
	}
	pi.baseOpt = metric.WithAttributeSet(with())
	pi.idle = metric.WithAttributeSet(with(attribute.String(AttrPoolState, "idle")))
	pi.used = metric.WithAttributeSet(with(attribute.String(AttrPoolState, "used")))
	pi.reusedOpt = metric.WithAttributeSet(with(attribute.Bool(AttrPoolReused, true)))
	pi.newOpt = metric.WithAttributeSet(with(attribute.Bool(AttrPoolReused, false)))
	pi.recordOpt = metric.WithAttributeSet(with())
}

// Observables lists the observable instruments, for meter.RegisterCallback.
func (pi *PoolInstruments) Observables() []metric.Observable {
	return append(pi.churn.Observables(), pi.UsageObservables()...)
}

// UsageObservables lists the instruments ObserveUsage reports.
func (pi *PoolInstruments) UsageObservables() []metric.Observable {
	return []metric.Observable{pi.count, pi.max, pi.idleMax, pi.idleMin,
		pi.timeouts, pi.waits, pi.waitTime, pi.acquisitions}
}

// Observe reports one snapshot: c for the churn instruments (it carries
// the closes by reason and side together), s and lim for the rest.
func (pi *PoolInstruments) Observe(o metric.Observer, c Churn, s keepconn.PoolStats, lim PoolLimits) {
	pi.churn.Observe(o, c, pi.base...)
	pi.ObserveUsage(o, s, lim)
}

// ObserveUsage reports all but the churn instruments: for a pool that
// sees no dials or closes of its own (a watched *sql.DB).
func (pi *PoolInstruments) ObserveUsage(o metric.Observer, s keepconn.PoolStats, lim PoolLimits) {
	o.ObserveInt64(pi.count, s.Idle, pi.idle)
	o.ObserveInt64(pi.count, s.InUse, pi.used)
	if lim.MaxOpen > 0 {
		o.ObserveInt64(pi.max, lim.MaxOpen, pi.baseOpt)
	}
	if lim.MaxIdle > 0 {
		o.ObserveInt64(pi.idleMax, lim.MaxIdle, pi.baseOpt)
	}
	o.ObserveInt64(pi.idleMin, lim.MinIdle, pi.baseOpt)
	o.ObserveInt64(pi.waits, s.WaitCount, pi.baseOpt)
	o.ObserveFloat64(pi.waitTime, s.WaitDuration.Seconds(), pi.baseOpt)
	o.ObserveInt64(pi.acquisitions, s.Reused, pi.reusedOpt)
	o.ObserveInt64(pi.acquisitions, s.Acquisitions-s.Reused, pi.newOpt)
}

// ObserveTimeouts reports the acquisitions that timed out waiting, for
// the pools that know them (all but a database/sql pool).
func (pi *PoolInstruments) ObserveTimeouts(o metric.Observer, n int64) {
	o.ObserveInt64(pi.timeouts, n, pi.baseOpt)
}

// RecordCreate records the time one new connection took to open.
func (pi *PoolInstruments) RecordCreate(ctx context.Context, d time.Duration) {
	pi.createTime.Record(ctx, d.Seconds(), pi.recordOpt)
}

// ServerAttrs returns server.address and server.port for a "host:port"
// address, or server.address alone when addr has no port.
func ServerAttrs(addr string) []attribute.KeyValue {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []attribute.KeyValue{attribute.String(AttrServerAddress, addr)}
	}
	kv := []attribute.KeyValue{attribute.String(AttrServerAddress, host)}
	if p, err := strconv.Atoi(port); err == nil {
		kv = append(kv, attribute.Int(AttrServerPort, p))
	}
	return kv
}
