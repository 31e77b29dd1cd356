//go:build !linux

package dialer

import (
	"context"
	"syscall"
)

func (d *Dialer) controlFunc() func(context.Context, string, string, syscall.RawConn) error {
	return nil
}

func (p *dialPlan) bind(int, string, string) error { return nil }

func localPortRangeSupported() bool { return false }

func withinSystemRange(PortRange) bool { return false }

// checkPlatform rejects the options that exist only on Linux.
func checkPlatform(c *Config) error {
	unsupported := func(name string, v any) error {
		return configError(name, v, "is only supported on Linux")
	}
	switch {
	case c.UserTimeout != 0:
		return unsupported("UserTimeout", c.UserTimeout)
	case c.ReuseAddr:
		return unsupported("ReuseAddr", c.ReuseAddr)
	case len(c.SourceAddrs) > 0:
		return unsupported("SourceAddrs", c.SourceAddrs)
	case !c.PortRange.IsZero():
		return unsupported("PortRange", c.PortRange)
	case c.AwaitPeerClose != 0:
		return unsupported("AwaitPeerClose", c.AwaitPeerClose)
	}
	return nil
}

// ctlOp is unused outside Linux: there is no control function.
type ctlOp struct{}

// lazyKeepAlive is false: elsewhere the idle time may count from when
// keepalive is set, so it is set at the dial.
const lazyKeepAlive = false
