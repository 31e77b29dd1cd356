package sqlx

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/keepconn/keepconn/internal/validate"
	"go.opentelemetry.io/otel/metric"
)

// DB is a *sql.DB whose pool sqlx sized and watches. Use it as a *sql.DB
// (every method is the embedded one's, or pass db.DB along); only Stats
// and Close are sqlx's own. Close it with DB.Close, so that the
// connections it closes are counted as Closed.
type DB struct {
	*sql.DB
	c    *Connector
	cfg  Config
	log  *slog.Logger
	stop context.CancelFunc
	wg   sync.WaitGroup
	adv  *advisor

	mu      sync.Mutex
	maxIdle int
	metrics metric.Registration

	lastRefresh time.Time // maintain's goroutine only
}

// ErrConnectorInUse is returned by Open for a Connector that already
// serves a DB.
var ErrConnectorInUse = errors.New("keepconn/sqlx: the Connector already serves a DB")

// Open returns a DB over c sized and aged as cfg says. It opens no
// connection itself (MinIdle does, in the background); the server's idle
// timeout is read on the first connection opened, before its first use. Every invalid Config field is a *ConfigError naming it.
func Open(c *Connector, cfg Config) (*DB, error) {
	if c == nil {
		return nil, validate.Error("sqlx.Open connector", nil, "must not be nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if !c.bound.CompareAndSwap(false, true) {
		return nil, ErrConnectorInUse
	}
	c.lifetime, c.jitter = cfg.ConnMaxLifetime, cfg.jitter()
	c.checkAge = int64(cfg.livenessAfter())
	c.idleTime.Store(int64(cfg.ConnMaxIdleTime))
	sdb := sql.OpenDB(c)
	c.db.Store(sdb)
	sdb.SetMaxOpenConns(cfg.maxOpen())
	sdb.SetMaxIdleConns(cfg.maxIdle())
	sdb.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	db := &DB{DB: sdb, c: c, cfg: cfg, log: cfg.Logger, maxIdle: cfg.maxIdle()}
	if db.log == nil {
		db.log = slog.Default()
	}
	if cfg.Name == "" {
		db.cfg.Name = c.info.name()
	}
	c.name, c.log = db.cfg.Name, db.log
	c.discover.Store(!cfg.DisableIdleTimeoutDiscovery && c.info.Dialect != DialectUnknown)
	db.adv = newAdvisor(db.source(), db.cfg)
	db.metrics = db.registerMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	db.stop = cancel
	db.wg.Add(1)
	go db.maintain(ctx)
	return db, nil
}

// Close stops sqlx's background work and closes the *sql.DB: idle
// connections now, busy ones when they come back, all counted as Closed.
func (db *DB) Close() error {
	db.c.closing.Store(true)
	db.stop()
	db.wg.Wait()
	if db.metrics != nil {
		db.metrics.Unregister()
	}
	return db.DB.Close()
}

// Connector returns the DB's Connector.
func (db *DB) Connector() *Connector { return db.c }

// SetMaxIdleConns sets the idle cap, as sql.DB.SetMaxIdleConns does, and
// tells sqlx's advisor. n is clamped to [0, MaxOpen].
func (db *DB) SetMaxIdleConns(n int) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.maxIdle = max(0, min(n, db.cfg.maxOpen()))
	db.DB.SetMaxIdleConns(db.maxIdle)
}

func (db *DB) currentMaxIdle() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.maxIdle
}

// maintain runs sqlx's background work until Close: MinIdle refills and
// the advisor's windows.
func (db *DB) maintain(ctx context.Context) {
	defer db.wg.Done()
	tick := time.NewTicker(DefaultMinIdlePace)
	defer tick.Stop()
	window := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			db.keepMinIdle(ctx)
			if now.Sub(window) >= db.cfg.window() {
				window = now
				db.adviseNow(ctx)
			}
		}
	}
}

// keepMinIdle dials one connection when fewer than MinIdle are idle, and
// pings idle connections before an idle timeout would close them.
func (db *DB) keepMinIdle(ctx context.Context) {
	min := db.cfg.MinIdle
	if min == 0 {
		return
	}
	st := db.DB.Stats()
	if st.Idle >= min || st.OpenConnections >= db.cfg.maxOpen() {
		db.refreshIdle(ctx, st)
		return
	}
	// Take every idle connection and one more: the last one is dialed.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var held []*sql.Conn
	for range st.Idle + 1 {
		c, err := db.DB.Conn(ctx)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Close()
	}
}

// refreshIdle pings up to MinIdle idle connections when they have been
// idle for half the idle timeout in force (ConnMaxIdleTime, or the
// server's), so neither side closes the connections MinIdle keeps.
func (db *DB) refreshIdle(ctx context.Context, st sql.DBStats) {
	limit := time.Duration(db.c.idleTime.Load())
	if s := db.c.server.get(); s > 0 && (limit == 0 || s < limit) {
		limit = s
	}
	if limit == 0 || st.Idle == 0 || time.Since(db.lastRefresh) < limit/2 {
		return
	}
	db.lastRefresh = time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit/2)
	defer cancel()
	var held []*sql.Conn
	for range min(st.Idle, db.cfg.MinIdle) {
		c, err := db.DB.Conn(ctx)
		if err != nil {
			break
		}
		held = append(held, c)
		c.PingContext(ctx)
	}
	for _, c := range held {
		c.Close()
	}
}
