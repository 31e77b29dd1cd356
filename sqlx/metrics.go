package sqlx

import (
	"context"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MetricDBStatsClosed counts a watched *sql.DB's closes by the reasons
// DBStats counts (keepconn.close.reason max_idle, max_idle_time,
// max_lifetime), without a side: Watch sees no socket. A DB opened by
// Open reports keepconn.connection.closed with reason and side instead.
const MetricDBStatsClosed = "keepconn.db.connection.closed"

// poolAttrs are the attributes of every series of a pool: its name and,
// when the connector knows it, the server's address and port.
func poolAttrs(name string, info ServerInfo) []attribute.KeyValue {
	kv := []attribute.KeyValue{attribute.String(telemetry.AttrPoolName, name)}
	if info.Address != "" {
		kv = append(kv, telemetry.ServerAttrs(info.Address)...)
	}
	return kv
}

func limits(s Stats, minIdle int) telemetry.PoolLimits {
	return telemetry.PoolLimits{MaxOpen: s.MaxOpen, MaxIdle: s.MaxIdle, MinIdle: int64(minIdle)}
}

// registerMetrics reports the instruments every keepconn pool has (package
// telemetry's names) from Stats, in one callback. Instrument errors go to
// otel.Handle; the DB then works without metrics.
func (db *DB) registerMetrics() metric.Registration {
	meter := telemetry.Meter(db.cfg.MeterProvider)
	in, err := telemetry.NewPoolInstruments(meter, poolAttrs(db.cfg.Name, db.c.Info())...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	db.c.createTime.Store(in)
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := db.Stats()
		in.Observe(o, db.churn(s), s.PoolStats, limits(s, db.cfg.MinIdle))
		return nil
	}, in.Observables()...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}
