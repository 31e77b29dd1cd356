package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// TimeWaitTotalMetric is the gauge of the TIME_WAIT sockets of the whole
// network namespace, whoever made them. It is a separate instrument from
// keepconn.tcp.time_wait so that summing that one over destinations never
// double-counts.
const TimeWaitTotalMetric = telemetry.TimeWaitTotal

// DefaultWatchTimeout bounds each kernel read made for one metric
// collection when WithWatchTimeout is not given.
const DefaultWatchTimeout = 2 * time.Second

// WatchOption configures WatchTimeWait.
type WatchOption func(*watchConfig)

type watchConfig struct {
	timeout time.Duration
	collect collector
}

// WithWatchTimeout bounds the kernel read of each collection (the
// collection's own context may bound it further). Zero or less means
// DefaultWatchTimeout.
func WithWatchTimeout(d time.Duration) WatchOption {
	return func(c *watchConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WatchTimeWait reports, on d's meter provider (Config.MeterProvider, or
// the global one), the kernel's view of the destinations d has dialed:
//
//   - keepconn.tcp.time_wait{server.address, server.port}: TIME_WAIT
//     sockets towards each destination (from any process of the namespace);
//   - keepconn.port.budget.utilization{server.address, server.port}: the
//     PortBudget.Utilization of each destination, 0…1;
//   - keepconn.tcp.time_wait.total: all TIME_WAIT sockets of the namespace.
//
// The destinations are d.Destinations(): those with a connection open or
// used within DestinationIdleTimeout, at most MaxTrackedDestinations (256),
// which bounds the cardinality; a destination that leaves the set stops
// being reported. Each
// collection reads the kernel once (netlink, or /proc when refused), bounded
// by the collection's context and the watch timeout; a failed read is
// returned to the SDK, which hands it to otel.Handle, and reports nothing.
//
// Nothing is read until a reader collects. Unregister the returned
// registration to stop; it is independent of d.Close. Safe for concurrent
// use. It fails if d is nil or the instruments cannot be created.
func WatchTimeWait(d *Dialer, opts ...WatchOption) (metric.Registration, error) {
	if d == nil {
		return nil, errors.New("keepconn/dialer: WatchTimeWait: nil *Dialer")
	}
	cfg := watchConfig{timeout: DefaultWatchTimeout, collect: sockdiag.Collect}
	for _, o := range opts {
		o(&cfg)
	}
	w := &twWatcher{d: d, cfg: cfg}
	meter := telemetry.Meter(d.cfg.MeterProvider)
	if err := w.instruments(meter); err != nil {
		return nil, fmt.Errorf("keepconn/dialer: WatchTimeWait: %w", err)
	}
	reg, err := meter.RegisterCallback(w.observe, w.tw, w.util, w.total)
	if err != nil {
		return nil, fmt.Errorf("keepconn/dialer: WatchTimeWait: %w", err)
	}
	return reg, nil
}

type twWatcher struct {
	d     *Dialer
	cfg   watchConfig
	tw    metric.Int64ObservableGauge
	util  metric.Float64ObservableGauge
	total metric.Int64ObservableGauge
}

func (w *twWatcher) instruments(m metric.Meter) error {
	var err error
	if w.tw, err = m.Int64ObservableGauge(telemetry.TimeWait,
		metric.WithDescription("TCP sockets in TIME_WAIT towards the destination (closed first by this host in the last 60 s)."),
		metric.WithUnit("{socket}")); err != nil {
		return err
	}
	if w.util, err = m.Float64ObservableGauge(telemetry.PortBudgetUtilization,
		metric.WithDescription("Share of the ephemeral port range towards the destination held now by the fullest source address."),
		metric.WithUnit("1")); err != nil {
		return err
	}
	w.total, err = m.Int64ObservableGauge(TimeWaitTotalMetric,
		metric.WithDescription("TCP sockets in TIME_WAIT in this network namespace."),
		metric.WithUnit("{socket}"))
	return err
}

// observe reads the kernel once and reports every tracked destination.
func (w *twWatcher) observe(ctx context.Context, o metric.Observer) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.timeout)
	defer cancel()
	t, err := tallyPorts(ctx, w.cfg.collect)
	if err != nil {
		return err
	}
	o.ObserveInt64(w.total, int64(t.twTotal))
	for _, dst := range w.d.Destinations() {
		attrs := metric.WithAttributes(
			attribute.String(telemetry.AttrServerAddress, dst.Addr().String()),
			attribute.Int(telemetry.AttrServerPort, int(dst.Port())))
		o.ObserveInt64(w.tw, int64(t.twByPeer[dst]), attrs)
		o.ObserveFloat64(w.util, t.budget(dst).Utilization, attrs)
	}
	return nil
}
