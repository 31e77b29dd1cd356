package pool

import (
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/validate"
	"go.opentelemetry.io/otel/metric"
)

// Defaults for the zero values of Config.
const (
	// DefaultNetwork is the network dialed when Config.Network is empty.
	DefaultNetwork = "tcp"
	// DefaultMaxConns is the open-connection cap when Config.MaxConns is 0.
	DefaultMaxConns = 16
	// DefaultDialTimeout bounds one dial when Config.DialTimeout is 0.
	DefaultDialTimeout = 5 * time.Second
	// DefaultDialBackoff is the pause after a second consecutive failed
	// dial when Config.DialBackoff is 0; it doubles with every further
	// failure.
	DefaultDialBackoff = 50 * time.Millisecond
	// DefaultDialBackoffMax caps the pause between dials to a failing
	// backend when Config.DialBackoffMax is 0.
	DefaultDialBackoffMax = 2 * time.Second
	// DefaultLivenessCheckAfter is the idle time from which a reused
	// connection is checked when Config.LivenessCheckAfter is 0: one
	// second, as pgxpool pings connections idle longer than that.
	DefaultLivenessCheckAfter = time.Second
	// DefaultHealthCheckPeriod is how often the background maintenance
	// checks the idle connections when Config.HealthCheckPeriod is 0.
	DefaultHealthCheckPeriod = 5 * time.Second
)

// MaxMaxConns is the largest MaxConns: the pool counts connections in an
// int32, as puddle does.
const MaxMaxConns = math.MaxInt32

// CheckEveryReuse, as Config.LivenessCheckAfter, checks every reused
// connection however briefly it was idle.
const CheckEveryReuse time.Duration = -1

// DialFunc opens a connection; net.Dialer.DialContext and
// dialer.Dialer.DialContext have this signature. The connection it returns
// must be at a request boundary: a protocol whose server greets the client
// reads the greeting (or performs its handshake) inside DialFunc.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// ConfigError reports an invalid Config field, Field naming it as
// "pool.Config.MaxIdle". It is keepconn.ConfigError, shared by every
// keepconn package.
type ConfigError = keepconn.ConfigError

// Config says what a Pool connects to and how it keeps its connections.
// Only Addr is required; every other zero value has the meaning documented
// on its field. Every numeric field accepts any value from 0 to the
// maximum of its type unless its doc says otherwise; New rejects the
// others with a *ConfigError.
type Config struct {
	// Network is passed to Dial. Empty means DefaultNetwork ("tcp"). With
	// the default Dial only "tcp", "tcp4" and "tcp6" are accepted.
	Network string
	// Addr is the address every connection is dialed to: host:port for
	// TCP, the port a number from 1 to 65535 or a service name known to
	// the system. Required.
	Addr string
	// Dial opens connections. Nil means a keepconn dialer.Dialer with its
	// zero Config, owned by the pool and closed by Close. Dials run under
	// a context marked by keepconn's telemetry, so a keepconn dialer
	// leaves them out of its own metrics: the pool reports them, with the
	// pool name.
	Dial DialFunc
	// DialTimeout bounds each dial. Zero means DefaultDialTimeout. A dial
	// is not bound by the context of the Acquire that started it: an
	// acquirer that gives up leaves the dial running, and its connection
	// goes to the pool within MaxIdle (closed as MaxIdleClosed otherwise).
	DialTimeout time.Duration
	// DialBackoff is how long the pool refuses to dial after a second
	// consecutive failed dial (Acquire then fails at once with
	// ErrDialBackoff); it doubles with each further failure up to
	// DialBackoffMax. After a single failure the next dial goes ahead, one
	// at a time. Zero means DefaultDialBackoff.
	DialBackoff time.Duration
	// DialBackoffMax caps DialBackoff's growth. Zero means
	// DefaultDialBackoffMax, or DialBackoff if that is longer; it must not
	// be below DialBackoff.
	DialBackoffMax time.Duration

	// MaxConns caps the connections open at once, idle, in use and being
	// dialed. Acquire waits when all are in use. Zero means
	// DefaultMaxConns; at most MaxMaxConns.
	MaxConns int
	// MinIdle is the number of idle connections the pool keeps ready,
	// dialing in the background when it has fewer (and room under
	// MaxConns). Idle-timeout reaping never goes below it. Zero means none
	// are kept ready. It must not exceed MaxIdle.
	MinIdle int
	// MaxIdle caps the idle connections: a connection released while
	// MaxIdle are idle is closed (Stats.MaxIdleClosed). Zero means MaxConns.
	// A cap below MaxConns makes bursty load close and re-dial connections
	// endlessly: the churn behind TIME_WAIT storms. Set it lower only on
	// purpose. It must not exceed MaxConns.
	MaxIdle int
	// IdleTimeout closes connections idle this long, actively in the
	// background, not only when found by Acquire (Stats.MaxIdleTimeClosed):
	// in the background up to 50 ms late, the step of the clock idle times
	// are measured on. Zero means idle connections are never closed for
	// being idle; the liveness checks still remove those the server
	// closed.
	IdleTimeout time.Duration
	// MaxLifetime closes connections this long after they were dialed, idle
	// ones in the background and busy ones at Release
	// (Stats.MaxLifetimeClosed). Zero means no limit.
	MaxLifetime time.Duration
	// MaxLifetimeJitter adds a random duration in [0, MaxLifetimeJitter] to
	// each connection's lifetime, so connections dialed together expire
	// spread out instead of reconnecting in one storm. Zero means no
	// jitter. Only valid with MaxLifetime.
	MaxLifetimeJitter time.Duration

	// DisableLivenessCheck turns off both liveness checks: the one Acquire
	// makes before handing out a connection that was idle for
	// LivenessCheckAfter or longer, and the background one every
	// HealthCheckPeriod. A check is one non-blocking MSG_PEEK read on the
	// socket: end of file or an error means the peer closed or reset it
	// (Stats.PeerClosed), unexpected bytes mean it is out of step with the
	// protocol (Stats.BrokenClosed); either way it is closed, and Acquire
	// takes another, invisibly to the caller. Only connections that
	// implement syscall.Conn on Unix systems are checked. The zero value
	// checks.
	DisableLivenessCheck bool
	// LivenessCheckAfter skips Acquire's check for connections idle less
	// than this long. A connection that a server's idle timeout closed,
	// the common case, has been idle for seconds and is always checked; a
	// connection in steady use is reused without the system call, which
	// costs ten times the rest of Acquire+Release. A close that arrives
	// within this window is left for the caller to see as an I/O error.
	// Zero means DefaultLivenessCheckAfter (1 s); CheckEveryReuse (any
	// negative value) checks every reuse. Idle times are measured on a
	// clock that advances every 50 ms, erring towards checking (values of
	// 50 ms or less check every reuse) as long as the clock's goroutine
	// gets the CPU: in a process starved of it for longer than that, a
	// check that was due may be skipped.
	LivenessCheckAfter time.Duration
	// HealthCheckPeriod is how often the background maintenance checks
	// every idle connection, so that connections the peer closed or
	// reset, or the kernel timed out, while idle stop counting as Open and
	// Idle at most one period after it happened (Stats.PeerClosed). Each
	// round costs one MSG_PEEK per open connection; only a round that
	// found a dead one takes the idle connections out of the pool for a
	// moment to close it. Zero means DefaultHealthCheckPeriod (5 s);
	// math.MaxInt64 practically turns the background check off.
	HealthCheckPeriod time.Duration

	// AbortIdleClose closes connections the pool evicts while idle (MaxIdle,
	// IdleTimeout, MaxLifetime, Close) with dialer.CloseIdleConn: an RST
	// without TIME_WAIT when the socket's send and receive queues are
	// empty, a normal close otherwise, so no data is ever discarded.
	// Connections the caller destroyed or the peer closed are closed
	// normally. The zero value closes every connection normally (FIN; this
	// host keeps the TIME_WAIT if it closes first).
	AbortIdleClose bool

	// Name is the pool's db.client.connection.pool.name metric attribute.
	// Empty means Addr.
	Name string
	// MeterProvider receives the pool's metrics. Nil means the global
	// provider (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

// field qualifies a Config field name for a ConfigError.
func field(name string) string { return "pool.Config." + name }

// withDefaults validates c and returns it with every zero value replaced
// by what it means.
func (c Config) withDefaults() (Config, error) {
	if err := c.validate(); err != nil {
		return c, err
	}
	setDefault(&c.Network, DefaultNetwork)
	setDefault(&c.Name, c.Addr)
	setDefault(&c.MaxConns, DefaultMaxConns)
	setDefault(&c.MaxIdle, c.MaxConns)
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.DialBackoff, DefaultDialBackoff)
	setDefault(&c.DialBackoffMax, max(DefaultDialBackoffMax, c.DialBackoff))
	setDefault(&c.LivenessCheckAfter, DefaultLivenessCheckAfter)
	setDefault(&c.HealthCheckPeriod, DefaultHealthCheckPeriod)
	if c.LivenessCheckAfter < 0 {
		c.LivenessCheckAfter = CheckEveryReuse
	}
	return c, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c *Config) validate() error {
	return validate.First(
		c.validateAddr(),
		c.validateSizes(),
		validate.NonNegative(field("DialTimeout"), c.DialTimeout),
		validate.NonNegative(field("DialBackoff"), c.DialBackoff),
		validate.NonNegative(field("DialBackoffMax"), c.DialBackoffMax),
		validate.NonNegative(field("IdleTimeout"), c.IdleTimeout),
		validate.NonNegative(field("MaxLifetime"), c.MaxLifetime),
		validate.NonNegative(field("MaxLifetimeJitter"), c.MaxLifetimeJitter),
		validate.NonNegative(field("HealthCheckPeriod"), c.HealthCheckPeriod),
		c.validateRelations(),
	)
}

func isTCP(network string) bool {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return true
	}
	return false
}

func (c *Config) validateAddr() error {
	network := c.Network
	if network == "" {
		network = DefaultNetwork
	}
	if c.Dial == nil && !isTCP(network) {
		return validate.Error(field("Network"), fmt.Sprintf("%q", c.Network),
			"the default dialer dials only tcp, tcp4 and tcp6; set Dial for other networks")
	}
	if c.Addr == "" {
		return validate.Error(field("Addr"), `""`, "is required")
	}
	if isTCP(network) {
		return checkHostPort(network, c.Addr)
	}
	return nil
}

// checkHostPort rejects a TCP address without a port that can be dialed.
func checkHostPort(network, addr string) error {
	quoted := fmt.Sprintf("%q", addr)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &ConfigError{Field: field("Addr"), Value: quoted, Reason: "must be host:port", Err: err}
	}
	if port == "" {
		return validate.Error(field("Addr"), quoted, "has no port")
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		// A service name, as net.Dial accepts: resolved from the system's
		// services database, without the network.
		if n, err = net.LookupPort(network, port); err != nil {
			return &ConfigError{Field: field("Addr"), Value: quoted, Reason: "has an unknown port", Err: err}
		}
	}
	if n < 1 || n > 65535 {
		return validate.Error(field("Addr"), quoted, "port must be from 1 to 65535")
	}
	return nil
}

func (c *Config) validateSizes() error {
	if err := validate.First(
		validate.NonNegative(field("MaxConns"), c.MaxConns),
		validate.AtMost(field("MaxConns"), c.MaxConns, MaxMaxConns),
		validate.NonNegative(field("MinIdle"), c.MinIdle),
		validate.NonNegative(field("MaxIdle"), c.MaxIdle),
	); err != nil {
		return err
	}
	maxConns := c.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	maxIdle := c.MaxIdle
	if maxIdle == 0 {
		maxIdle = maxConns
	}
	if maxIdle > maxConns {
		return validate.Error(field("MaxIdle"), c.MaxIdle, fmt.Sprintf("must not exceed MaxConns (%d)", maxConns))
	}
	if c.MinIdle > maxIdle {
		return validate.Error(field("MinIdle"), c.MinIdle,
			fmt.Sprintf("must not exceed MaxIdle (%d): the pool would dial connections only to close them", maxIdle))
	}
	return nil
}

func (c *Config) validateRelations() error {
	if c.MaxLifetimeJitter > 0 && c.MaxLifetime == 0 {
		return validate.Error(field("MaxLifetimeJitter"), c.MaxLifetimeJitter, "needs MaxLifetime")
	}
	if c.DialBackoffMax > 0 && c.DialBackoffMax < c.DialBackoff {
		return validate.Error(field("DialBackoffMax"), c.DialBackoffMax, fmt.Sprintf("must not be below DialBackoff (%v)", c.DialBackoff))
	}
	return nil
}

// satAdd adds two non-negative clock values without overflowing: a sum
// beyond math.MaxInt64 is math.MaxInt64, which the pool treats as never.
func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}
