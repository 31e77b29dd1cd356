package httpx

import (
	"fmt"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"go.opentelemetry.io/otel/metric"
)

// Defaults of a Transport. Each has an Option that changes it.
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
	// DefaultDrainLimit is how many unread body bytes Close reads and
	// discards so that the connection can be reused.
	DefaultDrainLimit = 256 << 10
	// DefaultDrainTimeout bounds the time Close spends draining a body.
	DefaultDrainTimeout = 100 * time.Millisecond
)

// Option configures a Transport.
type Option func(*config)

type config struct {
	maxConnsPerHost int
	idleConnTimeout time.Duration
	drainLimit      int64
	drainTimeout    time.Duration
	dialer          *dialer.Dialer
	dialerConfig    *dialer.Config
	meterProvider   metric.MeterProvider
	noRetry         bool
}

func defaultConfig() config {
	return config{
		maxConnsPerHost: DefaultMaxConnsPerHost,
		idleConnTimeout: DefaultIdleConnTimeout,
		drainLimit:      DefaultDrainLimit,
		drainTimeout:    DefaultDrainTimeout,
	}
}

// WithMaxConnsPerHost sets the per-host connection cap (default
// DefaultMaxConnsPerHost). The idle cap per host is set to the same value,
// so every connection a burst opened can stay for the next one. It must be
// at least 1.
func WithMaxConnsPerHost(n int) Option { return func(c *config) { c.maxConnsPerHost = n } }

// WithIdleConnTimeout sets how long an idle connection is kept (default
// DefaultIdleConnTimeout). It must be positive.
func WithIdleConnTimeout(d time.Duration) Option { return func(c *config) { c.idleConnTimeout = d } }

// WithDrainLimit sets how many unread body bytes Close drains (default
// DefaultDrainLimit). Zero turns draining off; negative values are invalid.
func WithDrainLimit(n int64) Option { return func(c *config) { c.drainLimit = n } }

// WithDrainTimeout bounds the time one Close spends draining (default
// DefaultDrainTimeout). It must be positive.
func WithDrainTimeout(d time.Duration) Option { return func(c *config) { c.drainTimeout = d } }

// WithDialer makes the Transport dial through d, shared with other users.
// By default NewTransport creates its own dialer.Dialer with the zero
// dialer.Config. Ignored when Wrap is given a *http.Transport that has its
// own DialContext or Dial: that function is kept (and counted).
func WithDialer(d *dialer.Dialer) Option { return func(c *config) { c.dialer = d } }

// WithDialerConfig makes NewTransport create its dialer from cfg (source
// addresses, port range, close mode…). Ignored with WithDialer. The
// dialer's own metrics are switched off: the Transport reports the same
// counts with server.address and server.port attributes.
func WithDialerConfig(cfg dialer.Config) Option { return func(c *config) { c.dialerConfig = &cfg } }

// WithMeterProvider sets where the Transport's metrics go; nil (the
// default) means otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meterProvider = mp }
}

// WithoutRetry turns off the single retry of replayable requests that
// failed on a reused connection the server had closed. The retries
// net/http's Transport makes on its own are still made (and counted).
func WithoutRetry() Option { return func(c *config) { c.noRetry = true } }

// ConfigError reports an invalid option value.
type ConfigError struct {
	Option string // e.g. "WithMaxConnsPerHost"
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("keepconn/httpx: %s(%v): %s", e.Option, e.Value, e.Reason)
}

func (c *config) validate() error {
	switch {
	case c.maxConnsPerHost < 1:
		return &ConfigError{"WithMaxConnsPerHost", c.maxConnsPerHost, "must be at least 1"}
	case c.idleConnTimeout <= 0:
		return &ConfigError{"WithIdleConnTimeout", c.idleConnTimeout, "must be positive"}
	case c.drainLimit < 0:
		return &ConfigError{"WithDrainLimit", c.drainLimit, "must not be negative"}
	case c.drainTimeout <= 0:
		return &ConfigError{"WithDrainTimeout", c.drainTimeout, "must be positive"}
	}
	return nil
}
