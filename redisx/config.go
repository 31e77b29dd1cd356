package redisx

import (
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/validate"
	"go.opentelemetry.io/otel/metric"
)

// ConfigError reports an invalid setting, of Config ("redisx.Config.X")
// or of the go-redis options given ("redis.Options.X").
type ConfigError = keepconn.ConfigError

// Defaults for the zero values of Config.
const (
	// DefaultAwaitPeerClose is how long a closed connection waits for the
	// server to answer QUIT by closing first when Config.Dialer's
	// AwaitPeerClose is 0: Redis closes at once, so on a healthy network
	// the wait is one round trip.
	DefaultAwaitPeerClose = time.Second
	// DefaultReaperInterval is how often the reaper looks for idle
	// connections the server closed when Config.ReaperInterval is 0.
	DefaultReaperInterval = time.Second
	// MinReaperInterval is the shortest Config.ReaperInterval accepted.
	MinReaperInterval = 10 * time.Millisecond
	// DefaultFallbackIdleTime caps ConnMaxIdleTime when the server's
	// timeout cannot be read (managed services refuse CONFIG) and
	// Config.FallbackIdleTime is 0: below the 5-minute idle timeouts of
	// common managed Redis services and load balancers.
	DefaultFallbackIdleTime = 4 * time.Minute
	// DefaultWarmupInterval is the pause between the dials that open
	// MinIdleConns connections when Config.WarmupInterval is 0.
	DefaultWarmupInterval = 10 * time.Millisecond
	// DefaultLifetimeJitterDivisor: when ConnMaxLifetime is set and
	// ConnMaxLifetimeJitter is not, the jitter is a tenth of the lifetime.
	DefaultLifetimeJitterDivisor = 10
)

// Quit is the goodbye redisx sends before closing a connection: Redis
// answers +OK and closes its end first, so the TIME_WAIT stays on the
// server.
const Quit = "QUIT\r\n"

// Config holds redisx's own settings; the go-redis options keep theirs.
// The zero value is ready to use: a keepconn dialer with the zero
// dialer.Config but for the goodbye (QUIT, then up to
// DefaultAwaitPeerClose for the server to close first), pool settings that
// do not churn, a reaper every second, and the global MeterProvider.
type Config struct {
	// Dialer configures the keepconn dialer that opens every connection
	// of the client. AwaitPeerClose zero means DefaultAwaitPeerClose;
	// Farewell must be empty: redisx sends QUIT itself (as the dialer's
	// Farewell over plain TCP, through TLS otherwise).
	Dialer dialer.Config

	// DisableQuit closes connections without QUIT and without waiting for
	// the server: the client then holds the TIME_WAIT of every close.
	DisableQuit bool

	// KeepPoolSettings leaves PoolSize, MinIdleConns, MaxIdleConns,
	// ConnMaxIdleTime, ConnMaxLifetime and ConnMaxLifetimeJitter as given
	// (go-redis's meaning and defaults): no raised idle cap, no paced
	// warm-up, no idle time below the server's timeout. Closes are still
	// counted and attributed. Meant for measuring a setting as it is.
	KeepPoolSettings bool

	// ReaperInterval is how often the background reaper closes idle
	// connections the server closed (their socket would otherwise sit in
	// CLOSE_WAIT until go-redis reused them) and samples go-redis's pool
	// counters. Zero means DefaultReaperInterval; at least
	// MinReaperInterval.
	ReaperInterval time.Duration

	// FallbackIdleTime caps ConnMaxIdleTime when the server's timeout
	// cannot be read with CONFIG GET. Zero means DefaultFallbackIdleTime.
	FallbackIdleTime time.Duration

	// WarmupInterval paces the dials that open MinIdleConns connections,
	// at start and when topping them up. Zero means DefaultWarmupInterval.
	WarmupInterval time.Duration

	// PoolName is the db.client.connection.pool.name of the client's
	// metrics. Empty means the address (the first address for a cluster,
	// ring or failover client).
	PoolName string

	// MeterProvider receives the metrics; nil means the global provider.
	MeterProvider metric.MeterProvider
}

func (c *Config) validate() error {
	return validate.First(
		validate.NonNegative("redisx.Config.ReaperInterval", c.ReaperInterval),
		c.minReaper(),
		validate.NonNegative("redisx.Config.FallbackIdleTime", c.FallbackIdleTime),
		validate.NonNegative("redisx.Config.WarmupInterval", c.WarmupInterval),
		c.farewell(),
	)
}

func (c *Config) minReaper() error {
	if c.ReaperInterval > 0 && c.ReaperInterval < MinReaperInterval {
		return validate.Error("redisx.Config.ReaperInterval", c.ReaperInterval, "must be at least "+MinReaperInterval.String())
	}
	return nil
}

func (c *Config) farewell() error {
	if len(c.Dialer.Farewell) != 0 {
		return validate.Error("redisx.Config.Dialer.Farewell", string(c.Dialer.Farewell), "must be empty: redisx sends QUIT itself")
	}
	return nil
}

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	if c.ReaperInterval == 0 {
		c.ReaperInterval = DefaultReaperInterval
	}
	if c.FallbackIdleTime == 0 {
		c.FallbackIdleTime = DefaultFallbackIdleTime
	}
	if c.WarmupInterval == 0 {
		c.WarmupInterval = DefaultWarmupInterval
	}
	return c
}

// dialerConfig is the dialer's configuration: the goodbye added.
func (c *Config) dialerConfig(tls bool) dialer.Config {
	dc := c.Dialer
	if c.DisableQuit {
		return dc
	}
	if dc.AwaitPeerClose == 0 {
		dc.AwaitPeerClose = DefaultAwaitPeerClose
	}
	if !tls {
		dc.Farewell = []byte(Quit)
	}
	return dc
}
