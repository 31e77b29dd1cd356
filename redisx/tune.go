package redisx

import (
	"errors"
	"math"
	"runtime"
	"strconv"
	"time"

	"github.com/keepconn/keepconn/internal/validate"
)

// Tuning reports the pool settings a client runs with and where the idle
// time came from. Durations are redisx's own limits: redisx enforces the
// idle time and the lifetime itself (go-redis's are turned off), so that
// it knows why each connection closed.
type Tuning struct {
	// PoolSize is go-redis's PoolSize: the connection cap per server.
	PoolSize int
	// MaxIdleConns is the idle cap per server go-redis enforces; 0 means
	// none. redisx raises it to PoolSize (or PipelinePoolSize, if larger)
	// unless Config.KeepPoolSettings.
	MaxIdleConns int
	// MinIdleConns is the number of idle connections redisx keeps per
	// server: opened at start, and topped up when the client is quiet (no
	// command in progress at a reaper tick), Config.WarmupInterval apart
	// (go-redis's own MinIdleConns, which dials them all at once, at start
	// and after every removal, is set to 0); with KeepPoolSettings, the
	// number go-redis keeps itself.
	MinIdleConns int
	// ConnMaxIdleTime is the idle time after which a connection is closed
	// before reuse; 0 means never.
	ConnMaxIdleTime time.Duration
	// ConnMaxLifetime is the age after which a connection is closed
	// before reuse, ± ConnMaxLifetimeJitter; 0 means never.
	ConnMaxLifetime       time.Duration
	ConnMaxLifetimeJitter time.Duration

	// ServerTimeout is the server's idle timeout (CONFIG GET timeout); 0
	// means the server never closes idle connections.
	ServerTimeout time.Duration
	// ServerTimeoutErr is why the server's timeout is not known: not read
	// yet, or CONFIG GET failed (managed services refuse CONFIG). The idle
	// time is then at most Config.FallbackIdleTime. Nil once read.
	ServerTimeoutErr error
}

// poolFields points at the pool settings of one of go-redis's option
// structs, which all name them alike.
type poolFields struct {
	kind                       string // "redis.Options", "redis.ClusterOptions", …
	poolSize, minIdle, maxIdle *int
	pipelinePoolSize           *int
	idleTime, lifetime, jitter *time.Duration
}

func (f poolFields) field(name string) string { return f.kind + "." + name }

// validate rejects values go-redis would panic on, fail on later, or read
// with another meaning than documented.
func (f poolFields) validate() error {
	return validate.First(
		validate.NonNegative(f.field("PoolSize"), *f.poolSize),
		validate.AtMost(f.field("PoolSize"), *f.poolSize, math.MaxInt32),
		validate.NonNegative(f.field("MinIdleConns"), *f.minIdle),
		validate.AtMost(f.field("MinIdleConns"), *f.minIdle, math.MaxInt32),
		validate.NonNegative(f.field("MaxIdleConns"), *f.maxIdle),
		validate.AtMost(f.field("MaxIdleConns"), *f.maxIdle, math.MaxInt32),
		validate.AtMost(f.field("PipelinePoolSize"), *f.pipelinePoolSize, math.MaxInt32),
		idleTimeValid(f.field("ConnMaxIdleTime"), *f.idleTime),
		validate.NonNegative(f.field("ConnMaxLifetime"), *f.lifetime),
		validate.NonNegative(f.field("ConnMaxLifetimeJitter"), *f.jitter),
		f.minIdleFits(),
	)
}

// idleTimeValid accepts go-redis's values: positive, 0 (its default) and -1
// (no idle time).
func idleTimeValid(field string, d time.Duration) error {
	if d < -1 {
		return validate.Error(field, d, "must be positive, 0 (30 minutes) or -1 (none)")
	}
	return nil
}

func (f poolFields) minIdleFits() error {
	if size := effectivePoolSize(*f.poolSize); *f.minIdle > size {
		return validate.Error(f.field("MinIdleConns"), *f.minIdle, "must not exceed PoolSize ("+itoa(size)+")")
	}
	return nil
}

// effectivePoolSize is go-redis's PoolSize default: 10 per GOMAXPROCS.
func effectivePoolSize(n int) int {
	if n == 0 {
		return 10 * runtime.GOMAXPROCS(0)
	}
	return n
}

// goRedisIdleTime is what go-redis makes of ConnMaxIdleTime.
func goRedisIdleTime(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return 30 * time.Minute
	case d < 0:
		return 0
	}
	return d
}

// apply sets the go-redis fields and returns the tuning redisx enforces.
// The idle time is provisional until the server's timeout is read.
func (f poolFields) apply(cfg *Config) Tuning {
	t := Tuning{
		PoolSize:         effectivePoolSize(*f.poolSize),
		MaxIdleConns:     *f.maxIdle,
		MinIdleConns:     *f.minIdle,
		ConnMaxIdleTime:  goRedisIdleTime(*f.idleTime),
		ConnMaxLifetime:  *f.lifetime,
		ServerTimeoutErr: errTimeoutNotRead,
	}
	t.ConnMaxLifetimeJitter = min(*f.jitter, t.ConnMaxLifetime)
	if !cfg.KeepPoolSettings {
		t.tune(cfg, *f.pipelinePoolSize)
		*f.poolSize, *f.maxIdle, *f.minIdle = t.PoolSize, t.MaxIdleConns, 0
	}
	*f.idleTime, *f.lifetime, *f.jitter = -1, 0, 0 // redisx enforces them
	return t
}

func (t *Tuning) tune(cfg *Config, pipelinePoolSize int) {
	if t.MaxIdleConns != 0 {
		t.MaxIdleConns = max(t.MaxIdleConns, t.PoolSize, pipelinePoolSize)
	}
	if t.ConnMaxLifetime > 0 && t.ConnMaxLifetimeJitter == 0 {
		t.ConnMaxLifetimeJitter = t.ConnMaxLifetime / DefaultLifetimeJitterDivisor
	}
	t.ConnMaxIdleTime = capIdle(t.ConnMaxIdleTime, cfg.FallbackIdleTime)
}

// withServerTimeout returns the tuning once the server's timeout is read
// (err nil) or found unreadable.
func (t Tuning) withServerTimeout(cfg *Config, timeout time.Duration, err error, userIdle time.Duration) Tuning {
	t.ServerTimeout, t.ServerTimeoutErr = timeout, err
	if cfg.KeepPoolSettings {
		return t
	}
	switch {
	case err != nil:
		t.ConnMaxIdleTime = capIdle(userIdle, cfg.FallbackIdleTime)
	case timeout > 0:
		t.ConnMaxIdleTime = capIdle(userIdle, belowServerTimeout(timeout))
	default:
		t.ConnMaxIdleTime = userIdle
	}
	return t
}

// belowServerTimeout is an idle time safely below the server's: Redis
// closes a client idle for more than timeout whole seconds, checked a few
// times a second. Half of it below 4 s, three quarters from there.
func belowServerTimeout(timeout time.Duration) time.Duration {
	if timeout < 4*time.Second {
		return timeout / 2
	}
	return timeout - timeout/4
}

// capIdle is idle capped at limit; idle 0 (none) becomes limit.
func capIdle(idle, limit time.Duration) time.Duration {
	if idle <= 0 || idle > limit {
		return limit
	}
	return idle
}

// errTimeoutNotRead is Tuning.ServerTimeoutErr until the reaper has read
// the server's timeout.
var errTimeoutNotRead = errors.New("keepconn/redisx: server timeout not read yet")

func itoa(n int) string { return strconv.Itoa(n) }
