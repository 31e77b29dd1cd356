package dialer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"go.opentelemetry.io/otel/metric"
)

// Dialer opens TCP connections with the socket options of its Config and
// counts every connection's birth and death. It is safe for concurrent use;
// its DialContext method fits http.Transport.DialContext,
// pgconn.Config.DialFunc and go-redis Options.Dialer.
type Dialer struct {
	cfg      Config
	nd       net.Dialer
	v4, v6   []sockSource // SourceAddrs by family
	ports    portMode
	needPlan bool // sources or an explicit-bind port range: dials carry a plan

	counters
	dests   destinations
	metrics metric.Registration
}

// New validates cfg and returns a Dialer. Every invalid field is reported as
// a *ConfigError naming the field and the value.
func New(cfg Config) (*Dialer, error) {
	cfg.SourceAddrs = append([]netip.Addr(nil), cfg.SourceAddrs...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Dialer{cfg: cfg}
	if err := d.initSources(); err != nil {
		return nil, err
	}
	if err := d.initPorts(); err != nil {
		return nil, err
	}
	d.needPlan = len(cfg.SourceAddrs) > 0 || d.ports == portBind
	d.nd = net.Dialer{
		Timeout:         cfg.ConnectTimeout,
		KeepAliveConfig: cfg.keepAliveConfig(),
		Resolver:        cfg.Resolver,
		ControlContext:  d.controlFunc(),
	}
	if cfg.DisableKeepAlive {
		d.nd.KeepAlive = -1
	}
	d.metrics = d.registerMetrics()
	return d, nil
}

func (c *Config) keepAliveConfig() net.KeepAliveConfig {
	ka := net.KeepAliveConfig{Enable: !c.DisableKeepAlive,
		Idle: DefaultKeepAliveIdle, Interval: DefaultKeepAliveInterval, Count: DefaultKeepAliveCount}
	if c.KeepAlive.Idle > 0 {
		ka.Idle = c.KeepAlive.Idle
	}
	if c.KeepAlive.Interval > 0 {
		ka.Interval = c.KeepAlive.Interval
	}
	if c.KeepAlive.Count > 0 {
		ka.Count = c.KeepAlive.Count
	}
	return ka
}

// Dial connects to address on the named network; see DialContext.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address on network "tcp", "tcp4" or "tcp6", as
// net.Dialer.DialContext does, and returns a *Conn. The context bounds the
// whole dial, retries on other source addresses included.
//
// When every source address and port towards the destination is taken, the
// error satisfies errors.Is(err, syscall.EADDRNOTAVAIL).
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := checkNetwork(network); err != nil {
		d.countDialError(err)
		return nil, err
	}
	dialCtx, plan := ctx, (*dialPlan)(nil)
	if d.needPlan {
		if d.cfg.ConnectTimeout > 0 { // one limit for every retry
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d.cfg.ConnectTimeout)
			defer cancel()
		}
		plan = d.newPlan()
		dialCtx = withPlan(ctx, plan)
		network = d.narrowNetwork(network)
	}
	for {
		c, err := d.nd.DialContext(dialCtx, network, address)
		if err == nil {
			return d.wrap(c.(*net.TCPConn)), nil
		}
		if plan == nil || !errors.Is(err, syscall.EADDRNOTAVAIL) || ctx.Err() != nil || !plan.advance() {
			err = explainFamily(err, network, address)
			d.countDialError(err)
			return nil, err
		}
		d.sourceRetries.Add(1)
	}
}

// narrowNetwork turns "tcp" into "tcp4" or "tcp6" when SourceAddrs has
// addresses of one family only, so a host name is resolved to addresses
// the sources can reach, and an exhausted family's EADDRNOTAVAIL is not
// hidden behind the other family's error.
func (d *Dialer) narrowNetwork(network string) string {
	if network != "tcp" || len(d.cfg.SourceAddrs) == 0 {
		return network
	}
	switch {
	case len(d.v6) == 0:
		return "tcp4"
	case len(d.v4) == 0:
		return "tcp6"
	}
	return network
}

// explainFamily says why a dial narrowed to one family found no address.
func explainFamily(err error, network, address string) error {
	var ae *net.AddrError
	if !errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("keepconn/dialer: no source address of the family of %s among Config.SourceAddrs (dialing %s): %w", address, network, err)
}

func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return nil
	}
	return &net.OpError{Op: "dial", Net: network, Err: errors.New("keepconn/dialer: unsupported network " + strconv.Quote(network) + ": only tcp, tcp4 and tcp6")}
}

// wrap applies the settings package net cannot set before connect and
// starts counting the connection.
func (d *Dialer) wrap(tc *net.TCPConn) *Conn {
	if d.cfg.DisableNoDelay {
		tc.SetNoDelay(false)
	}
	if d.cfg.Close == CloseLinger {
		tc.SetLinger(int(d.cfg.LingerTimeout.Seconds()))
	}
	d.opened.Add(1)
	d.dests.add(tc.RemoteAddr())
	return newConn(tc, d)
}

// Close stops reporting the dialer's metrics. Connections already dialed
// stay open and keep being counted in Stats; the dialer can still dial.
func (d *Dialer) Close() error {
	if d.metrics == nil {
		return nil
	}
	return d.metrics.Unregister()
}
