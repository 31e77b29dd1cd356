package sqlx

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// WatchConfig says how Watch observes a *sql.DB it did not open.
type WatchConfig struct {
	// MaxIdle is the idle cap the application set (SetMaxIdleConns),
	// which DBStats does not show. Zero means unknown: the advisor then
	// takes the largest Idle it has seen. A DB whose Idle stays 0 is taken
	// to keep no idle connections on purpose, as stdlib.OpenDBFromPool
	// does (its connections live in pgxpool), and gets no MaxIdle advice.
	MaxIdle int
	// ServerAddress is the server's host:port, for the port budget.
	// Empty: the budget of the whole ephemeral range is used.
	ServerAddress string
	// Dialect, when known, lets Watch read the server's idle timeout once
	// (one query on db) and advise when ConnMaxIdleTime is not below it.
	// DialectUnknown: no query.
	Dialect Dialect
	// ConnMaxIdleTime is the idle timeout the application set
	// (SetConnMaxIdleTime), which DBStats does not show; zero means none
	// or unknown.
	ConnMaxIdleTime time.Duration
	// Window, Logger, Name and MeterProvider are as in Config
	// (AdvisorWindow, Logger, Name, MeterProvider). Name defaults to
	// "sql".
	Window        time.Duration
	Logger        *slog.Logger
	Name          string
	MeterProvider metric.MeterProvider
}

// SamplePeriod is how often a Watcher reads DBStats for the peaks of
// InUse and Idle.
const SamplePeriod = 10 * time.Millisecond

// Watcher watches a *sql.DB someone else opened, from DBStats alone: no
// dials, no sides, no close the DBStats counters do not show (after
// driver.ErrBadConn, a failed IsValid). It gives the same advisor and
// metrics as a DB within those limits: instead of
// keepconn.connection.closed it reports keepconn.db.connection.closed
// (MetricDBStatsClosed) with the reasons max_idle, max_idle_time and
// max_lifetime only, and no side.
type Watcher struct {
	db      *sql.DB
	cfg     WatchConfig
	log     *slog.Logger
	adv     *advisor
	peakUse atomic.Int64
	peakIdl atomic.Int64
	server  serverTimeout
	stop    context.CancelFunc
	wg      sync.WaitGroup
	metrics metric.Registration
	mu      sync.Mutex
	last    Report
}

// Watch starts watching db; Close stops it (and leaves db open).
func Watch(db *sql.DB, cfg WatchConfig) (*Watcher, error) {
	c := Config{AdvisorWindow: cfg.Window}
	if err := c.checkWindow(); err != nil {
		err.(*ConfigError).Field = "sqlx.WatchConfig.Window"
		return nil, err
	}
	if cfg.MaxIdle < 0 {
		return nil, &ConfigError{Field: "sqlx.WatchConfig.MaxIdle", Value: cfg.MaxIdle, Reason: "must not be negative"}
	}
	if cfg.ConnMaxIdleTime < 0 {
		return nil, &ConfigError{Field: "sqlx.WatchConfig.ConnMaxIdleTime", Value: cfg.ConnMaxIdleTime, Reason: "must not be negative"}
	}
	if cfg.Name == "" {
		cfg.Name = "sql"
	}
	w := &Watcher{db: db, cfg: cfg, log: cfg.Logger}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.adv = newAdvisor(source{watched: true, addr: cfg.ServerAddress, read: w.sample,
		maxOpn: func() int { return db.Stats().MaxOpenConnections }}, Config{AdvisorWindow: cfg.Window})
	w.metrics = w.registerMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	w.wg.Add(1)
	go w.run(ctx, c.window())
	return w, nil
}

// Close stops watching.
func (w *Watcher) Close() error {
	w.stop()
	w.wg.Wait()
	if w.metrics != nil {
		return w.metrics.Unregister()
	}
	return nil
}

// Advice returns the report on the last complete window.
func (w *Watcher) Advice() Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func (w *Watcher) run(ctx context.Context, window time.Duration) {
	defer w.wg.Done()
	w.discover(ctx)
	tick := time.NewTicker(SamplePeriod)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st := w.db.Stats()
			raise(&w.peakUse, int64(st.InUse))
			raise(&w.peakIdl, int64(st.Idle))
			if now.Sub(start) >= window {
				start = now
				r := w.adv.window(ctx)
				for _, a := range r.Advice {
					w.adv.logOnce(w.log, w.cfg.Name, a)
				}
				w.mu.Lock()
				w.last = r
				w.mu.Unlock()
			}
		}
	}
}

func raise(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func (w *Watcher) sample() sample {
	st := w.db.Stats()
	maxIdle := w.cfg.MaxIdle
	if maxIdle == 0 {
		maxIdle = int(w.peakIdl.Load())
	}
	return sample{at: time.Now(), db: st, opened: -1, active: -1,
		peakInUse: w.peakUse.Swap(int64(st.InUse)), maxIdle: maxIdle,
		idleTime: w.cfg.ConnMaxIdleTime, server: w.server.get()}
}

// discover reads the server's idle timeout once, if the dialect is known.
func (w *Watcher) discover(ctx context.Context) {
	q := idleTimeoutQuery(w.cfg.Dialect)
	if q == "" {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var v string
	if err := w.db.QueryRowContext(qctx, q).Scan(&v); err != nil {
		w.log.Warn("sqlx: reading the server's idle timeout failed", "pool", w.cfg.Name, "query", q, "error", err)
		return
	}
	if d, err := parseIdleTimeout(w.cfg.Dialect, v); err == nil && d > 0 {
		w.server.d.Store(int64(d))
	}
}

// Stats returns what DBStats says, in the shared vocabulary: Open, InUse,
// Idle, the three close reasons database/sql counts, WaitCount and
// WaitDuration. Every other field is unknown from DBStats and 0.
func (w *Watcher) Stats() Stats {
	st := w.db.Stats()
	s := Stats{MaxOpen: int64(st.MaxOpenConnections), MaxIdle: int64(w.cfg.MaxIdle), DB: st,
		PeakInUse: w.peakUse.Load()}
	s.Open, s.InUse, s.Idle = int64(st.OpenConnections), int64(st.InUse), int64(st.Idle)
	s.MaxIdleClosed, s.MaxIdleTimeClosed, s.MaxLifetimeClosed = st.MaxIdleClosed, st.MaxIdleTimeClosed, st.MaxLifetimeClosed
	s.WaitCount, s.WaitDuration = st.WaitCount, st.WaitDuration
	return s
}

func (w *Watcher) registerMetrics() metric.Registration {
	meter := telemetry.Meter(w.cfg.MeterProvider)
	base := poolAttrs(w.cfg.Name, ServerInfo{})
	in, err := telemetry.NewPoolInstruments(meter, base...)
	var closed metric.Int64ObservableCounter
	if err == nil {
		closed, err = meter.Int64ObservableCounter(MetricDBStatsClosed, metric.WithUnit("{connection}"),
			metric.WithDescription("Connections database/sql closed, by the reasons DBStats counts (no side: a watched *sql.DB)."))
	}
	if err != nil {
		otel.Handle(err)
		return nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := w.Stats()
		in.ObserveUsage(o, s.PoolStats, limits(s, 0))
		for _, rc := range []struct {
			r telemetry.Reason
			n int64
		}{{telemetry.ReasonMaxIdle, s.MaxIdleClosed}, {telemetry.ReasonMaxIdleTime, s.MaxIdleTimeClosed}, {telemetry.ReasonMaxLifetime, s.MaxLifetimeClosed}} {
			o.ObserveInt64(closed, rc.n, metric.WithAttributes(append(append([]attribute.KeyValue(nil), base...),
				attribute.String(telemetry.AttrReason, rc.r.String()))...))
		}
		return nil
	}, append(in.UsageObservables(), closed)...)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}
