package httpx

import (
	"math"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/validate"
	"go.opentelemetry.io/otel/metric"
)

// Defaults of a Transport: the value a zero Config field stands for.
const (
	// DefaultMaxConnsPerHost caps the connections to one host. Requests
	// above it wait for a connection to come back instead of opening one
	// that the idle cap would close again a moment later.
	DefaultMaxConnsPerHost = 64
	// DefaultIdleConnTimeout is how long an idle connection is kept, the
	// same as http.DefaultTransport's. Servers configured with
	// ConfigureServer keep theirs longer, so this side closes first only
	// after a long silence.
	DefaultIdleConnTimeout = 90 * time.Second
	// DefaultConnectTimeout bounds one dial, as http.DefaultTransport's
	// net.Dialer does: against a silent peer a request fails after it
	// instead of hanging until the kernel gives up.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultDrainLimit is how many unread body bytes Close reads and
	// discards so that the connection can be reused.
	DefaultDrainLimit = 256 << 10
	// DefaultDrainTimeout bounds the time Close spends draining a body.
	DefaultDrainTimeout = 100 * time.Millisecond
	// DefaultDialBackoff is the pause after a second consecutive failed
	// dial to one host; it doubles with every further failure up to
	// DefaultDialBackoffMax. As in package pool.
	DefaultDialBackoff = 50 * time.Millisecond
	// DefaultDialBackoffMax caps the pause between dials to a failing host.
	DefaultDialBackoffMax = 2 * time.Second
)

// ConfigError reports an invalid Config field at construction. Its Field
// is "httpx.Config.<name>".
type ConfigError = keepconn.ConfigError

// Config says how a Transport uses its connections. The zero value is a
// working configuration: every zero field stands for the default named in
// its doc. The configuration style of keepconn: packages that own sockets
// (dialer, pool, httpx, sqlx, redisx) take a Config struct; wrappers take
// options.
type Config struct {
	// MaxConnsPerHost caps the connections (open or being dialed) to one
	// host; the idle cap per host is the same, so every connection a burst
	// opened can stay for the next one. Requests above the cap wait
	// (Stats.WaitCount). Zero means DefaultMaxConnsPerHost; negative is an
	// error. When Wrap is given an *http.Transport with MaxConnsPerHost
	// set, that value is kept.
	MaxConnsPerHost int
	// IdleConnTimeout is how long an idle connection is kept. Zero means
	// DefaultIdleConnTimeout; negative is an error. An *http.Transport
	// given to Wrap keeps its own when set.
	IdleConnTimeout time.Duration
	// MaxConnLifetime, when positive, limits how long a connection is
	// used: once it is older, its next request is sent with
	// "Connection: close" (the server then closes it, and keeps the
	// TIME_WAIT), and an idle connection is closed at its deadline. Useful
	// to rebalance behind load balancers. An idle connection is not closed
	// while a request waits at the host's cap or a dial is in flight (one
	// of those requests will take it), nor in the second after its
	// deadline if it never served. A request that takes an idle
	// connection from net/http's pool at the very moment it is closed
	// fails before writing anything, and net/http sends it again when its
	// body can be replayed, as after a server's close. Zero means no
	// lifetime; negative is an error. Closes are counted as
	// MaxLifetimeClosed. An HTTP/2 connection that always carries some
	// stream is never idle, and "Connection: close" is HTTP/1 only: such a
	// connection is closed only once its streams end together.
	MaxConnLifetime time.Duration
	// MaxConnLifetimeJitter adds to each connection's lifetime a random
	// part in [0, MaxConnLifetimeJitter), so connections opened together
	// do not expire together. Zero means none; negative, or positive
	// without MaxConnLifetime, is an error.
	MaxConnLifetimeJitter time.Duration
	// ConnectTimeout bounds each dial, name resolution and the wait for
	// another request's probe dial included. Zero means
	// DefaultConnectTimeout; negative is an error.
	ConnectTimeout time.Duration
	// DrainLimit is how many unread body bytes Close reads and discards so
	// that the connection can be reused; a longer body is not read and its
	// connection is closed. Zero means DefaultDrainLimit; negative is an
	// error. DisableDrain turns draining off.
	DrainLimit int64
	// DrainTimeout bounds the time one Close spends draining. Zero means
	// DefaultDrainTimeout; negative is an error.
	DrainTimeout time.Duration
	// DisableDrain makes Close close unread bodies without draining them
	// (their connection is then closed, as with net/http).
	DisableDrain bool
	// Dialer, when not nil, is the dialer the Transport dials through,
	// shared with other users. Nil: the Transport creates its own from
	// DialerConfig. Ignored when Wrap is given a *http.Transport that has
	// its own DialContext or Dial: that function is kept (and counted).
	Dialer *dialer.Dialer
	// DialerConfig, when not nil, is the configuration of the dialer the
	// Transport creates (source addresses, port range, close mode…); its
	// ConnectTimeout, when zero, becomes Config.ConnectTimeout. Nil means
	// the zero dialer.Config. Ignored when Dialer is set. The Transport
	// reports the dialer's connections in its own metrics.
	DialerConfig *dialer.Config
	// DisableRetry turns off the single retry of replayable requests that
	// failed on a reused connection the server had closed. The retries
	// net/http's Transport makes on its own are still made (and counted).
	DisableRetry bool
	// DialBackoff is how long, after a second consecutive failed dial to a
	// host, requests to it fail at once with ErrDialBackoff instead of
	// dialing; it doubles with each further failure up to DialBackoffMax.
	// While a host has no open connection or its last dial failed, one
	// dial at a time probes it and the other requests wait for that
	// probe's outcome. Zero means DefaultDialBackoff; negative is an
	// error.
	DialBackoff time.Duration
	// DialBackoffMax caps the pause. Zero means DefaultDialBackoffMax (or
	// DialBackoff when that is longer); negative or below DialBackoff is
	// an error.
	DialBackoffMax time.Duration
	// MeterProvider receives the Transport's metrics; nil means
	// otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
}

// field names a Config field in errors.
func field(name string) string { return "httpx.Config." + name }

// withDefaults validates c and returns it with every zero field replaced
// by its default.
func (c Config) withDefaults() (Config, error) {
	err := validate.First(
		validate.NonNegative(field("MaxConnsPerHost"), c.MaxConnsPerHost),
		validate.NonNegative(field("IdleConnTimeout"), c.IdleConnTimeout),
		validate.NonNegative(field("MaxConnLifetime"), c.MaxConnLifetime),
		validate.NonNegative(field("MaxConnLifetimeJitter"), c.MaxConnLifetimeJitter),
		validate.NonNegative(field("ConnectTimeout"), c.ConnectTimeout),
		validate.NonNegative(field("DrainLimit"), c.DrainLimit),
		validate.NonNegative(field("DrainTimeout"), c.DrainTimeout),
		validate.NonNegative(field("DialBackoff"), c.DialBackoff),
		validate.NonNegative(field("DialBackoffMax"), c.DialBackoffMax),
	)
	if err != nil {
		return c, err
	}
	if c.MaxConnLifetimeJitter > 0 && c.MaxConnLifetime == 0 {
		return c, validate.Error(field("MaxConnLifetimeJitter"), c.MaxConnLifetimeJitter, "needs MaxConnLifetime")
	}
	c.MaxConnsPerHost = orDefault(c.MaxConnsPerHost, DefaultMaxConnsPerHost)
	c.IdleConnTimeout = orDefault(c.IdleConnTimeout, DefaultIdleConnTimeout)
	c.ConnectTimeout = orDefault(c.ConnectTimeout, DefaultConnectTimeout)
	c.DrainLimit = orDefault(c.DrainLimit, DefaultDrainLimit)
	c.DrainTimeout = orDefault(c.DrainTimeout, DefaultDrainTimeout)
	c.DialBackoff = orDefault(c.DialBackoff, DefaultDialBackoff)
	if c.DialBackoffMax == 0 {
		c.DialBackoffMax = max(DefaultDialBackoffMax, c.DialBackoff)
	}
	if c.DialBackoffMax < c.DialBackoff {
		return c, validate.Error(field("DialBackoffMax"), c.DialBackoffMax, "must not be below DialBackoff ("+c.DialBackoff.String()+")")
	}
	return c, nil
}

func orDefault[T ~int | ~int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// addSat adds two non-negative durations, saturating at the largest.
func addSat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
