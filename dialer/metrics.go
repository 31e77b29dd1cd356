package dialer

import (
	"context"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics observes the dialer's counters from one callback on the
// configured meter provider, one series per tracked destination
// (server.address, server.port), so that two dialers, or two destinations
// of one dialer, are never summed into one series. Connections dialed
// under telemetry.Claim are left out: the adapter that claimed them
// reports them. Instrument errors go to otel.Handle; the dialer then works
// without metrics.
func (d *Dialer) registerMetrics() metric.Registration {
	meter := telemetry.Meter(d.cfg.MeterProvider)
	inst, err := telemetry.NewChurnInstruments(meter)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		d.dests.each(func(e *destination) {
			if c := e.churn(); c.Opened != 0 || c.DialErrors != 0 {
				inst.Observe(o, c, e.attrs...)
			}
		})
		return nil
	}, inst.Observables()...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}
