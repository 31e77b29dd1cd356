package pool

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics creates the pool's instruments — the ones every keepconn
// pool reports, under the names of package telemetry, with the pool name
// and the server address — and observes Stats from one callback.
// Instrument errors go to otel.Handle; the pool then works without metrics.
func (p *Pool) registerMetrics() {
	meter := telemetry.Meter(p.cfg.MeterProvider)
	base := append([]attribute.KeyValue{attribute.String(telemetry.AttrPoolName, p.cfg.Name)},
		telemetry.ServerAttrs(p.cfg.Addr)...)
	inst, err := telemetry.NewPoolInstruments(meter, base...)
	if err != nil {
		otel.Handle(err)
		return
	}
	p.inst = inst
	lim := telemetry.PoolLimits{MaxOpen: int64(p.cfg.MaxConns), MaxIdle: int64(p.cfg.MaxIdle), MinIdle: int64(p.cfg.MinIdle)}
	p.metrics, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := p.Stats()
		inst.Observe(o, p.churn(s), s.PoolStats, lim)
		inst.ObserveTimeouts(o, s.Timeouts)
		return nil
	}, inst.Observables()...)
	if err != nil {
		otel.Handle(err)
	}
}

// recordDial records one successful dial's duration.
func (p *Pool) recordDial(ctx context.Context, d time.Duration) {
	if p.inst != nil {
		p.inst.RecordCreate(ctx, d)
	}
}
