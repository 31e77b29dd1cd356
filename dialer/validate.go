package dialer

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field  string // e.g. "PortRange"
	Value  any    // the value given
	Reason string
	Err    error // the underlying cause, if any
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("keepconn/dialer: Config.%s = %v: %s", e.Field, e.Value, e.Reason)
}

func (e *ConfigError) Unwrap() error { return e.Err }

func itoa(i int) string { return strconv.Itoa(i) }

// validate checks every field that can be checked before dialing.
func (c *Config) validate() error {
	checks := []func() error{
		func() error { return nonNegative("ConnectTimeout", c.ConnectTimeout) },
		func() error { return nonNegative("KeepAlive.Idle", c.KeepAlive.Idle) },
		func() error { return nonNegative("KeepAlive.Interval", c.KeepAlive.Interval) },
		func() error { return nonNegative("UserTimeout", c.UserTimeout) },
		c.validateKeepAliveCount,
		c.validateKeepAliveLimits,
		c.validateUserTimeout,
		c.validateClose,
		c.validatePortRange,
		c.validateSources,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return checkPlatform(c)
}

func nonNegative(field string, d time.Duration) error {
	if d < 0 {
		return &ConfigError{Field: field, Value: d, Reason: "must not be negative"}
	}
	return nil
}

func (c *Config) validateKeepAliveCount() error {
	if c.KeepAlive.Count < 0 {
		return &ConfigError{Field: "KeepAlive.Count", Value: c.KeepAlive.Count, Reason: "must not be negative"}
	}
	return nil
}

// Kernel limits on the keepalive and user-timeout settings (Linux:
// MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; an int of ms).
const (
	maxKeepAliveTime  = 32767 * time.Second
	maxKeepAliveCount = 127
	maxUserTimeout    = math.MaxInt32 * time.Millisecond
)

func (c *Config) validateKeepAliveLimits() error {
	ka := c.KeepAlive
	switch {
	case c.DisableKeepAlive && ka != (KeepAlive{}):
		return &ConfigError{Field: "KeepAlive", Value: ka, Reason: "is set, but DisableKeepAlive turns keepalive off"}
	case ka.Idle > maxKeepAliveTime:
		return &ConfigError{Field: "KeepAlive.Idle", Value: ka.Idle, Reason: "must be at most " + maxKeepAliveTime.String()}
	case ka.Interval > maxKeepAliveTime:
		return &ConfigError{Field: "KeepAlive.Interval", Value: ka.Interval, Reason: "must be at most " + maxKeepAliveTime.String()}
	case ka.Count > maxKeepAliveCount:
		return &ConfigError{Field: "KeepAlive.Count", Value: ka.Count, Reason: "must be at most 127"}
	}
	return nil
}

func (c *Config) validateUserTimeout() error {
	if d := c.UserTimeout; d != 0 && (d < time.Millisecond || d > maxUserTimeout) {
		return &ConfigError{Field: "UserTimeout", Value: d, Reason: "must be zero (off) or between 1ms and " + maxUserTimeout.String()}
	}
	return nil
}

func (c *Config) validateClose() error {
	switch c.Close {
	case CloseGraceful, CloseAbortive:
		if c.LingerTimeout != 0 {
			return &ConfigError{Field: "LingerTimeout", Value: c.LingerTimeout,
				Reason: "is only used with Close = CloseLinger, but Close = " + c.Close.String()}
		}
	case CloseLinger:
		if c.LingerTimeout < time.Second || c.LingerTimeout%time.Second != 0 {
			return &ConfigError{Field: "LingerTimeout", Value: c.LingerTimeout,
				Reason: "must be a whole number of seconds, at least 1s, with CloseLinger"}
		}
	default:
		return &ConfigError{Field: "Close", Value: c.Close, Reason: "unknown close mode"}
	}
	return nil
}

func (c *Config) validatePortRange() error {
	r := c.PortRange
	switch {
	case r.IsZero():
		return nil
	case r.Low == 0 || r.High == 0:
		return &ConfigError{Field: "PortRange", Value: r, Reason: "ports must be within 1-65535 (or both zero for the system range)"}
	case r.Low > r.High:
		return &ConfigError{Field: "PortRange", Value: r, Reason: "Low is above High"}
	}
	return nil
}

func (c *Config) validateSources() error {
	seen := make(map[netip.Addr]bool, len(c.SourceAddrs))
	for i, a := range c.SourceAddrs {
		field := fmt.Sprintf("SourceAddrs[%d]", i)
		a = a.Unmap()
		switch {
		case !a.IsValid():
			return &ConfigError{Field: field, Value: a, Reason: "is not a valid address"}
		case a.IsUnspecified() || a.IsMulticast():
			return &ConfigError{Field: field, Value: a, Reason: "must be a unicast address of this host"}
		case seen[a]:
			return &ConfigError{Field: field, Value: a, Reason: "is listed twice"}
		}
		seen[a] = true
		if err := probeLocal(a); err != nil {
			return &ConfigError{Field: field, Value: a, Reason: "is not an address of this host", Err: err}
		}
	}
	return nil
}

// probeLocal checks that a can be bound on this host. A UDP bind is used: it
// fails the same way for a non-local address and reserves nothing for long.
func probeLocal(a netip.Addr) error {
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
	if err != nil {
		return err
	}
	return pc.Close()
}
