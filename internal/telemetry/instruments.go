package telemetry

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Meter returns keepconn's meter from mp, or from the global provider when mp
// is nil.
func Meter(mp metric.MeterProvider) metric.Meter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(ScopeName)
}

// Churn is the part of every keepconn Stats snapshot that the churn
// instruments report.
type Churn struct {
	Opened       int64 // dials that succeeded
	DialErrors   int64 // dials that failed, EADDRNOTAVAIL included
	AddrNotAvail int64 // dials that failed with EADDRNOTAVAIL
	Open         int64 // connections open now
	Closes       CloseCounts
}

// ChurnInstruments are the observable instruments for Churn. Create them once
// per meter user and observe them from a registered callback.
type ChurnInstruments struct {
	opened     metric.Int64ObservableCounter
	closed     metric.Int64ObservableCounter
	dialErrors metric.Int64ObservableCounter
	open       metric.Int64ObservableUpDownCounter
}

// NewChurnInstruments creates the churn instruments on m.
func NewChurnInstruments(m metric.Meter) (*ChurnInstruments, error) {
	var ci ChurnInstruments
	var err error
	if ci.opened, err = m.Int64ObservableCounter(ConnOpened,
		metric.WithDescription("Connections whose dial succeeded."),
		metric.WithUnit("{connection}")); err != nil {
		return nil, err
	}
	if ci.closed, err = m.Int64ObservableCounter(ConnClosed,
		metric.WithDescription("Closed connections, by why they closed and which side closed first (active: TIME_WAIT on this host)."),
		metric.WithUnit("{connection}")); err != nil {
		return nil, err
	}
	if ci.dialErrors, err = m.Int64ObservableCounter(DialErrors,
		metric.WithDescription("Dials that failed; error.type EADDRNOTAVAIL marks ephemeral port exhaustion."),
		metric.WithUnit("{dial}")); err != nil {
		return nil, err
	}
	if ci.open, err = m.Int64ObservableUpDownCounter(ConnOpen,
		metric.WithDescription("Connections open now."),
		metric.WithUnit("{connection}")); err != nil {
		return nil, err
	}
	return &ci, nil
}

// Observables lists the instruments, for meter.RegisterCallback.
func (ci *ChurnInstruments) Observables() []metric.Observable {
	return []metric.Observable{ci.opened, ci.closed, ci.dialErrors, ci.open}
}

// Observe reports c, each data point carrying base plus its own attributes.
// Close counts that are zero are not reported.
func (ci *ChurnInstruments) Observe(o metric.Observer, c Churn, base ...attribute.KeyValue) {
	baseOpt := metric.WithAttributes(base...)
	o.ObserveInt64(ci.opened, c.Opened, baseOpt)
	o.ObserveInt64(ci.open, c.Open, baseOpt)
	o.ObserveInt64(ci.dialErrors, c.AddrNotAvail, withExtra(base, attribute.String(AttrErrorType, "EADDRNOTAVAIL")))
	o.ObserveInt64(ci.dialErrors, c.DialErrors-c.AddrNotAvail, withExtra(base, attribute.String(AttrErrorType, "_OTHER")))
	for _, r := range Reasons() {
		for _, s := range Sides() {
			if n := c.Closes[r][s]; n != 0 {
				o.ObserveInt64(ci.closed, n, withExtra(base,
					attribute.String(AttrReason, r.String()),
					attribute.String(AttrSide, s.String())))
			}
		}
	}
}

func withExtra(base []attribute.KeyValue, extra ...attribute.KeyValue) metric.MeasurementOption {
	all := make([]attribute.KeyValue, 0, len(base)+len(extra))
	all = append(append(all, base...), extra...)
	return metric.WithAttributes(all...)
}
