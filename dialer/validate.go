package dialer

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/validate"
)

// ConfigError reports an invalid Config field, named with its package
// ("dialer.Config.LingerTimeout"), and the value given. It is
// keepconn.ConfigError, so one errors.As finds it whatever the package.
type ConfigError = keepconn.ConfigError

func itoa(i int) string { return strconv.Itoa(i) }

// field qualifies a Config field name for a ConfigError.
func field(name string) string { return "dialer.Config." + name }

func configError(name string, v any, reason string) error {
	return validate.Error(field(name), v, reason)
}

// Kernel limits on the keepalive, user-timeout and linger settings (Linux:
// MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT
// is an int of milliseconds; SO_LINGER's l_linger an int of seconds).
const (
	maxKeepAliveTime  = 32767 * time.Second
	maxKeepAliveCount = 127
	maxUserTimeout    = math.MaxInt32 * time.Millisecond
	// MaxLingerTimeout is the largest Config.LingerTimeout: SO_LINGER
	// takes an int of seconds, and a value cut to fit could become 0,
	// which would turn every close into a reset.
	MaxLingerTimeout = math.MaxInt32 * time.Second
)

// validate checks every field that can be checked before dialing.
func (c *Config) validate() error {
	ka := c.KeepAlive
	if err := validate.First(
		validate.NonNegative(field("ConnectTimeout"), c.ConnectTimeout),
		validate.NonNegative(field("KeepAlive.Idle"), ka.Idle),
		validate.AtMost(field("KeepAlive.Idle"), ka.Idle, maxKeepAliveTime),
		validate.NonNegative(field("KeepAlive.Interval"), ka.Interval),
		validate.AtMost(field("KeepAlive.Interval"), ka.Interval, maxKeepAliveTime),
		validate.NonNegative(field("KeepAlive.Count"), ka.Count),
		validate.AtMost(field("KeepAlive.Count"), ka.Count, maxKeepAliveCount),
		validate.NonNegative(field("UserTimeout"), c.UserTimeout),
		validate.NonNegative(field("AwaitPeerClose"), c.AwaitPeerClose),
		validate.NonNegative(field("MaxAwaitingClose"), c.MaxAwaitingClose),
	); err != nil {
		return err
	}
	checks := []func() error{
		c.validateKeepAliveOff,
		c.validateUserTimeout,
		c.validateClose,
		c.validateAwait,
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

func (c *Config) validateKeepAliveOff() error {
	if c.DisableKeepAlive && c.KeepAlive != (KeepAlive{}) {
		return configError("KeepAlive", c.KeepAlive, "is set, but DisableKeepAlive turns keepalive off")
	}
	return nil
}

func (c *Config) validateUserTimeout() error {
	if d := c.UserTimeout; d != 0 && (d < time.Millisecond || d > maxUserTimeout) {
		return configError("UserTimeout", d, "must be zero (off) or between 1ms and "+maxUserTimeout.String())
	}
	return nil
}

func (c *Config) validateClose() error {
	switch c.Close {
	case CloseGraceful, CloseAbortive:
		if c.LingerTimeout != 0 {
			return configError("LingerTimeout", c.LingerTimeout,
				"is only used with Close = CloseLinger, but Close = "+c.Close.String())
		}
	case CloseLinger:
		if c.LingerTimeout < time.Second || c.LingerTimeout%time.Second != 0 || c.LingerTimeout > MaxLingerTimeout {
			return configError("LingerTimeout", c.LingerTimeout,
				"must be a whole number of seconds between 1s and "+MaxLingerTimeout.String()+", with CloseLinger")
		}
	default:
		return configError("Close", c.Close, "unknown close mode")
	}
	return nil
}

func (c *Config) validateAwait() error {
	switch {
	case c.AwaitPeerClose == 0 && len(c.Farewell) > 0:
		return configError("Farewell", fmt.Sprintf("%q", c.Farewell), "is only written with AwaitPeerClose, which is 0")
	case c.AwaitPeerClose == 0 && c.MaxAwaitingClose != 0:
		return configError("MaxAwaitingClose", c.MaxAwaitingClose, "is only used with AwaitPeerClose, which is 0")
	case c.AwaitPeerClose > 0 && c.Close == CloseLinger:
		return configError("AwaitPeerClose", c.AwaitPeerClose, "cannot be combined with Close = CloseLinger: the background close would block")
	}
	return nil
}

func (c *Config) validatePortRange() error {
	r := c.PortRange
	switch {
	case r.IsZero():
		return nil
	case r.Low == 0 || r.High == 0:
		return configError("PortRange", r, "ports must be within 1-65535 (or both zero for the system range)")
	case r.Low > r.High:
		return configError("PortRange", r, "Low is above High")
	}
	return nil
}

func (c *Config) validateSources() error {
	seen := make(map[netip.Addr]bool, len(c.SourceAddrs))
	for i, a := range c.SourceAddrs {
		name := "SourceAddrs[" + itoa(i) + "]"
		a = a.Unmap()
		if err := checkUnicast(name, a); err != nil {
			return err
		}
		if seen[a] {
			return configError(name, a, "is listed twice")
		}
		seen[a] = true
		if err := probeLocal(a); err != nil {
			return &ConfigError{Field: field(name), Value: a, Reason: "is not an address of this host", Err: err}
		}
	}
	return nil
}

// checkUnicast rejects what cannot be the source of a TCP connection: an
// invalid or unspecified address, multicast, the limited broadcast
// address, and the broadcast address of a local IPv4 network (the kernel
// lets a UDP socket bind those, so probeLocal alone would accept them).
func checkUnicast(name string, a netip.Addr) error {
	switch {
	case !a.IsValid():
		return configError(name, a, "is not a valid address")
	case a.IsUnspecified():
		return configError(name, a, "is unspecified: leave SourceAddrs empty to let the kernel choose")
	case a.IsMulticast():
		return configError(name, a, "is multicast: a source must be a unicast address of this host")
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || isLocalBroadcast(a):
		return configError(name, a, "is a broadcast address: a source must be a unicast address of this host")
	}
	return nil
}

// isLocalBroadcast reports whether a is the broadcast address of an IPv4
// network configured on this host.
func isLocalBroadcast(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range ifAddrs {
		ipn, ok := ia.(*net.IPNet)
		if !ok {
			continue
		}
		p, err := netip.ParsePrefix(ipn.String())
		if err != nil || !p.Addr().Is4() || p.Bits() >= 31 {
			continue
		}
		if a == broadcastOf(p) {
			return true
		}
	}
	return false
}

func broadcastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
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
