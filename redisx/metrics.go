package redisx

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MetricReaped counts idle connections the server had closed that the
// reaper closed (Stats.Reaped), so that none stays in CLOSE_WAIT. The
// other instruments are the ones every keepconn pool reports (package
// telemetry's PoolInstruments): waits are cumulative counters observed
// from Stats, not the semantic-convention histogram, since go-redis keeps
// totals only.
const MetricReaped = "keepconn.redis.reaped"

// instruments are the pool instruments plus redisx's reaper counter.
type instruments struct {
	*telemetry.PoolInstruments
	reaped  metric.Int64ObservableCounter
	baseOpt metric.MeasurementOption
}

// registerMetrics creates the instruments on cfg.MeterProvider and
// observes Stats from one callback. It uses no go-redis hook and nothing
// process-wide, so it works beside redisotel. Instrument errors go to
// otel.Handle; the client then works without metrics.
func (m *monitor) registerMetrics() {
	meter := telemetry.Meter(m.cfg.MeterProvider)
	base := attribute.String(telemetry.AttrPoolName, m.poolName)
	pi, err := telemetry.NewPoolInstruments(meter, base)
	if err != nil {
		otel.Handle(err)
		return
	}
	in := &instruments{PoolInstruments: pi, baseOpt: metric.WithAttributes(base)}
	if in.reaped, err = meter.Int64ObservableCounter(MetricReaped, metric.WithUnit("{connection}"),
		metric.WithDescription("Idle connections the server closed that the reaper closed (no CLOSE_WAIT left).")); err != nil {
		otel.Handle(err)
		return
	}
	m.inst = in
	m.metrics, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.observe(o, m)
		return nil
	}, append(pi.Observables(), in.reaped)...)
	if err != nil {
		otel.Handle(err)
	}
}

func (in *instruments) observe(o metric.Observer, m *monitor) {
	s := m.stats()
	tu := m.Tuning()
	churn := telemetry.Churn{Opened: s.Opened, DialErrors: s.DialErrors,
		AddrNotAvail: s.AddrNotAvail, Open: s.Open, Closes: m.closes.Snapshot()}
	in.Observe(o, churn, s.PoolStats, telemetry.PoolLimits{MaxOpen: s.PoolSize,
		MaxIdle: int64(tu.MaxIdleConns), MinIdle: int64(tu.MinIdleConns)})
	in.ObserveTimeouts(o, s.Timeouts)
	o.ObserveInt64(in.reaped, s.Reaped, in.baseOpt)
}

// recordDial records one successful dial's duration.
func (m *monitor) recordDial(ctx context.Context, d time.Duration) {
	if m.inst != nil {
		m.inst.RecordCreate(ctx, d)
	}
}
