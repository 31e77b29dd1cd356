package sqlx

import (
	"log/slog"
	"math"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/validate"
	"go.opentelemetry.io/otel/metric"
)

// ConfigError reports an invalid Config field; Field is qualified, as in
// "sqlx.Config.MaxIdle".
type ConfigError = keepconn.ConfigError

// Defaults for the zero values of Config.
const (
	// DefaultMaxOpen caps the open connections when Config.MaxOpen is 0.
	// database/sql's zero is "unlimited", which with its idle cap of 2 is
	// the churn bug; sqlx's zero is a cap, with MaxIdle equal to it.
	DefaultMaxOpen = 64
	// DefaultLivenessCheckAfter is Config.LivenessCheckAfter's zero value.
	DefaultLivenessCheckAfter = 100 * time.Millisecond
	// DefaultAdvisorWindow is Config.AdvisorWindow's zero value.
	DefaultAdvisorWindow = 10 * time.Second
	// DefaultMinIdlePace is the pause between two connections dialed to
	// refill MinIdle.
	DefaultMinIdlePace = 50 * time.Millisecond
	// IdleTimeoutMargin bounds how far below a server's idle timeout the
	// discovered ConnMaxIdleTime is set: the server's timeout less a
	// quarter of it, at most this much less, but at least 1.3 s less
	// (database/sql's idle cleaner runs once a second); half of it when
	// the timeout is shorter than that.
	IdleTimeoutMargin = 5 * time.Second
)

// MaxConns is the largest MaxOpen, MaxIdle and MinIdle accepted.
const MaxConns = 1 << 20

// CheckEveryReuse, as Config.LivenessCheckAfter, checks every reused
// connection.
const CheckEveryReuse time.Duration = -1

// Config says how Open sizes and ages the pool of a *sql.DB. Every zero
// value means the default documented on its field; negative values and
// values beyond the documented limits are a *ConfigError.
type Config struct {
	// MaxOpen caps the open connections (sql.DB.SetMaxOpenConns). Zero
	// means DefaultMaxOpen. At most MaxConns.
	MaxOpen int
	// MaxIdle caps the idle connections (sql.DB.SetMaxIdleConns). Zero
	// means MaxOpen: a cap below the real concurrency closes and redials
	// connections on every burst (Stats.MaxIdleClosed), the TIME_WAIT
	// storm this package exists to stop. At most MaxOpen.
	MaxIdle int
	// MinIdle connections are kept open and idle: dialed one at a time,
	// DefaultMinIdlePace apart, when fewer are idle and MaxOpen allows,
	// and pinged before ConnMaxIdleTime (or the server) would close them.
	// Zero keeps none. At most MaxIdle.
	MinIdle int

	// ConnMaxLifetime closes connections this long after they were
	// opened, plus each connection's own random share of
	// ConnMaxLifetimeJitter, so connections opened together do not expire
	// together: a busy connection when it comes back, an idle one when it
	// is next taken (database/sql then takes another, invisibly to the
	// caller). Stats.MaxLifetimeClosed. Zero means no limit.
	ConnMaxLifetime time.Duration
	// ConnMaxLifetimeJitter is the most added to ConnMaxLifetime, drawn
	// uniformly per connection. Zero means a tenth of ConnMaxLifetime.
	// Only valid with ConnMaxLifetime; at most ConnMaxLifetime.
	ConnMaxLifetimeJitter time.Duration
	// ConnMaxIdleTime closes connections idle this long
	// (sql.DB.SetConnMaxIdleTime; Stats.MaxIdleTimeClosed). Zero means
	// none, unless the server's idle timeout is discovered (see
	// DisableIdleTimeoutDiscovery).
	ConnMaxIdleTime time.Duration
	// DisableIdleTimeoutDiscovery turns off reading the server's idle
	// timeout (MySQL/MariaDB @@wait_timeout, PostgreSQL
	// idle_session_timeout) on the first connection. By default, when the
	// server closes idle sessions and ConnMaxIdleTime is zero or not
	// safely below that timeout, ConnMaxIdleTime is lowered below it
	// (IdleTimeoutMargin), so this side closes idle connections before
	// the server does and queries never meet a connection the server
	// dropped. Only connectors that know their server's dialect discover
	// (those of the driver sub-packages).
	DisableIdleTimeoutDiscovery bool

	// LivenessCheckAfter is the idle time from which a connection is
	// checked before reuse: one TCP_INFO read that finds a connection the
	// server closed or reset, or one holding bytes nobody asked for (a
	// server's farewell, such as PostgreSQL's error for a terminated
	// backend). database/sql then discards it and takes another, so the
	// query does not fail. Zero means DefaultLivenessCheckAfter;
	// CheckEveryReuse (any negative value) checks every reuse.
	LivenessCheckAfter time.Duration

	// AdvisorWindow is the period over which the advisor compares the
	// pool's churn with its concurrency (Advice, AutoTune). Zero means
	// DefaultAdvisorWindow. At least 100 ms.
	AdvisorWindow time.Duration
	// AutoTune applies the advisor's safe changes by itself: it raises
	// MaxIdle (up to MaxOpen) when connections are closed at the idle cap
	// while more than MaxIdle were in use, and logs each change to
	// Logger. The zero value only advises.
	AutoTune bool
	// Logger receives the advisor's advice and AutoTune's changes. Nil
	// means slog.Default().
	Logger *slog.Logger

	// Name is the db.client.connection.pool.name metric attribute. Empty
	// means the connector's name (driver and server address, never the
	// user or password).
	Name string
	// MeterProvider receives the pool's metrics. Nil means the global
	// provider (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

func field(name string) string { return "sqlx.Config." + name }

// validate checks every field; see Config.
func (c *Config) validate() error {
	return validate.First(
		validate.NonNegative(field("MaxOpen"), c.MaxOpen),
		validate.AtMost(field("MaxOpen"), c.MaxOpen, MaxConns),
		validate.NonNegative(field("MaxIdle"), c.MaxIdle),
		validate.AtMost(field("MaxIdle"), c.MaxIdle, c.maxOpen()),
		validate.NonNegative(field("MinIdle"), c.MinIdle),
		validate.AtMost(field("MinIdle"), c.MinIdle, c.maxIdle()),
		validate.NonNegative(field("ConnMaxLifetime"), c.ConnMaxLifetime),
		validate.NonNegative(field("ConnMaxLifetimeJitter"), c.ConnMaxLifetimeJitter),
		c.checkJitter(),
		validate.NonNegative(field("ConnMaxIdleTime"), c.ConnMaxIdleTime),
		c.checkWindow(),
	)
}

func (c *Config) checkJitter() error {
	if c.ConnMaxLifetimeJitter == 0 {
		return nil
	}
	if c.ConnMaxLifetime == 0 {
		return validate.Error(field("ConnMaxLifetimeJitter"), c.ConnMaxLifetimeJitter, "only valid with ConnMaxLifetime")
	}
	return validate.AtMost(field("ConnMaxLifetimeJitter"), c.ConnMaxLifetimeJitter, c.ConnMaxLifetime)
}

func (c *Config) checkWindow() error {
	if c.AdvisorWindow == 0 {
		return nil
	}
	if c.AdvisorWindow < 100*time.Millisecond {
		return validate.Error(field("AdvisorWindow"), c.AdvisorWindow, "must be at least 100ms")
	}
	return validate.AtMost(field("AdvisorWindow"), c.AdvisorWindow, 24*time.Hour)
}

func (c *Config) maxOpen() int {
	if c.MaxOpen == 0 {
		return DefaultMaxOpen
	}
	return c.MaxOpen
}

func (c *Config) maxIdle() int {
	if c.MaxIdle == 0 {
		return c.maxOpen()
	}
	return c.MaxIdle
}

func (c *Config) jitter() time.Duration {
	if c.ConnMaxLifetimeJitter == 0 {
		return c.ConnMaxLifetime / 10
	}
	return c.ConnMaxLifetimeJitter
}

func (c *Config) livenessAfter() time.Duration {
	switch {
	case c.LivenessCheckAfter == 0:
		return DefaultLivenessCheckAfter
	case c.LivenessCheckAfter < 0:
		return 0
	}
	return c.LivenessCheckAfter
}

func (c *Config) window() time.Duration {
	if c.AdvisorWindow == 0 {
		return DefaultAdvisorWindow
	}
	return c.AdvisorWindow
}

// lifetimeAdd returns base+extra, saturating at the largest time.Duration
// (no overflow with a lifetime near math.MaxInt64).
func lifetimeAdd(base, extra time.Duration) time.Duration {
	if extra > 0 && base > math.MaxInt64-extra {
		return math.MaxInt64
	}
	return base + extra
}
