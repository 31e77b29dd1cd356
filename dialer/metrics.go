package dialer

import (
	"context"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics observes the dialer's counters from one callback on the
// configured meter provider. Instrument errors go to otel.Handle; the
// dialer then works without metrics.
func (d *Dialer) registerMetrics() metric.Registration {
	meter := telemetry.Meter(d.cfg.MeterProvider)
	inst, err := telemetry.NewChurnInstruments(meter)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		inst.Observe(o, d.churn())
		return nil
	}, inst.Observables()...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}

func (d *Dialer) churn() telemetry.Churn {
	closes := d.closes.Snapshot()
	opened := d.opened.Load()
	addrNotAvail := d.addrNotAvail.Load() // before DialErrors, which grows first
	return telemetry.Churn{
		Opened:       opened,
		DialErrors:   d.dialErrors.Load(),
		AddrNotAvail: addrNotAvail,
		Open:         opened - closes.Total(),
		Closes:       closes,
	}
}
