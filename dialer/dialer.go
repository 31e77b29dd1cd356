package dialer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/metric"
)

// ErrSourceUnavailable is wrapped by the error of a dial whose configured
// source address (Config.SourceAddrs) could not be bound because it is no
// longer an address of this host. That error also satisfies
// errors.Is(err, syscall.EADDRNOTAVAIL), as the kernel reported, but it is
// not port exhaustion: it is counted in Stats.SourceUnavailable, not in
// AddrNotAvail.
var ErrSourceUnavailable = errors.New("keepconn/dialer: source address unavailable")

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
	dests     destinations
	awaits    awaits
	keepAlive *keepAliveArmer // nil: keepalive set at the dial, or off
	looker    sockdiag.Looker // for the rare close whose side needs the kernel's word
	metrics   metric.Registration
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg and returns a Dialer. Every invalid field is reported as
// a *ConfigError naming the field and the value.
func New(cfg Config) (*Dialer, error) {
	cfg.SourceAddrs = append([]netip.Addr(nil), cfg.SourceAddrs...)
	cfg.Farewell = append([]byte(nil), cfg.Farewell...)
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
	if !cfg.DisableKeepAlive && lazyKeepAlive {
		d.keepAlive = newKeepAliveArmer(d.nd.KeepAliveConfig)
		d.nd.KeepAliveConfig = net.KeepAliveConfig{}
	}
	if cfg.DisableKeepAlive || d.keepAlive != nil {
		d.nd.KeepAlive = -1 // net sets none at the dial
	}
	d.dests.init()
	d.awaits.init(&d.cfg)
	d.metrics = d.registerMetrics()
	return d, nil
}

func (c *Config) keepAliveConfig() net.KeepAliveConfig {
	ka := net.KeepAliveConfig{Enable: !c.DisableKeepAlive,
		Idle: DefaultKeepAliveIdle, Interval: DefaultKeepAliveInterval, Count: -1} // -1: the kernel's
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
// whole dial, retries on other source addresses included. A dial made
// under telemetry.Claim (by a keepconn pool or Transport) is counted in
// Stats but left out of the dialer's metrics.
//
// When every source address and port towards the destination is taken, the
// error satisfies errors.Is(err, syscall.EADDRNOTAVAIL). With
// Config.AwaitPeerClose, a dial that finds no port while connections are
// waiting for their peer's FIN waits for one of those waits to end (at
// most AwaitPeerClose, within ctx) and tries again.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	claimed := telemetry.Claimed(ctx)
	if err := checkNetwork(network); err != nil {
		d.dialFailed(err, address, claimed, nil)
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
	var pw portWait
	for {
		pw.ends = d.awaits.ends.Load() // a wait ending from here on may free a port
		c, err := d.nd.DialContext(dialCtx, network, address)
		if err == nil {
			return d.wrap(c.(*net.TCPConn), claimed), nil
		}
		if d.retry(ctx, err, plan, &pw) {
			continue
		}
		err = d.explainFamily(err, network, address)
		d.dialFailed(err, address, claimed, plan)
		return nil, err
	}
}

// retry says whether a failed dial is tried again: on the next source or
// port after EADDRNOTAVAIL, or once a peer-first close frees a port.
func (d *Dialer) retry(ctx context.Context, err error, plan *dialPlan, pw *portWait) bool {
	if !errors.Is(err, syscall.EADDRNOTAVAIL) || ctx.Err() != nil {
		return false
	}
	gone := errors.Is(err, ErrSourceUnavailable)
	if plan != nil {
		plan.noteFailure(gone)
		if plan.advance() {
			d.sourceRetries.Add(1)
			return true
		}
	}
	if gone && (plan == nil || !plan.exhausted()) {
		return false
	}
	if !d.waitForPort(ctx, pw) {
		return false
	}
	if plan != nil {
		plan.restart()
	}
	return true
}

// portWait is a dial's state while it waits for ports freed by
// peer-first closes: the end of its waiting, and how many waits had ended
// when its last connect began.
type portWait struct {
	until time.Time
	ends  uint64
}

// waitForPort waits for a connection awaiting its peer's FIN to end, when
// there is one, for at most AwaitPeerClose from the first wait of the dial.
// A wait that ended since the dial's last connect began counts: its port
// may be free now.
func (d *Dialer) waitForPort(ctx context.Context, pw *portWait) bool {
	a := &d.awaits
	if !a.on() {
		return false
	}
	if a.ends.Load() != pw.ends {
		return true // ended while we connected
	}
	if a.count.Load() == 0 {
		return false
	}
	if pw.until.IsZero() {
		pw.until = time.Now().Add(a.wait)
		d.portWaits.Add(1)
	}
	left := time.Until(pw.until)
	if left <= 0 {
		return false
	}
	a.watchers.Add(1)
	defer a.watchers.Add(-1)
	freed := a.freedChan()
	if a.ends.Load() != pw.ends || a.count.Load() == 0 { // ended before we watched
		return true
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-freed:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// dialFailed counts a failed dial once: port exhaustion only when a
// connect found no port, not when a configured source address was gone.
func (d *Dialer) dialFailed(err error, address string, claimed bool, plan *dialPlan) {
	gone := errors.Is(err, ErrSourceUnavailable) && (plan == nil || !plan.exhausted())
	if gone {
		d.sourceUnavailable.Add(1)
	}
	d.dials.Failed(err, gone)
	e := d.dests.acquire(destOfError(err, address))
	if !claimed {
		e.dials.Failed(err, gone)
	}
	e.release()
}

// destOfError names the destination of a failed dial: the address the
// connect went to, else the address dialed if it is literal.
func destOfError(err error, address string) netip.AddrPort {
	var oe *net.OpError
	if errors.As(err, &oe) {
		if ap := addrPortOf(oe.Addr); ap.IsValid() {
			return ap
		}
	}
	ap, perr := netip.ParseAddrPort(address)
	if perr != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
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

// explainFamily says why a dial with source addresses found no address of
// their family; other errors are returned as they are.
func (d *Dialer) explainFamily(err error, network, address string) error {
	var ae *net.AddrError
	if len(d.cfg.SourceAddrs) == 0 || !errors.As(err, &ae) {
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
func (d *Dialer) wrap(tc *net.TCPConn, claimed bool) *Conn {
	if d.cfg.DisableNoDelay {
		tc.SetNoDelay(false)
	}
	if d.cfg.Close == CloseLinger {
		tc.SetLinger(int(d.cfg.LingerTimeout / time.Second)) // at most MaxInt32: validated
	}
	d.dials.Opened()
	dest := d.dests.acquire(addrPortOf(tc.RemoteAddr()))
	if !claimed {
		dest.dials.Opened()
	}
	c := newConn(tc, d, dest, claimed)
	if d.keepAlive != nil {
		d.keepAlive.add(c)
	}
	return c
}

// Close releases what the dialer holds in the background: it stops
// reporting its metrics, switches keepalive on for the connections still
// waiting for it (see Config.KeepAlive; later dials set it at once),
// closes the netlink socket it keeps for the rare close whose side only
// the kernel's tables can tell, ends at once every wait for a peer's FIN
// (Config.AwaitPeerClose; those sockets are closed gracefully from this
// side and counted), and returns when every such socket is closed. The
// dialer can still dial afterwards; its connections then close at once,
// as with AwaitPeerClose 0, and keep being counted in Stats. Connections
// the application holds stay open. Close is idempotent; see Shutdown to
// let pending waits run their course first.
func (d *Dialer) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Shutdown is Close, but lets the pending waits for a peer's FIN end on
// their own until ctx is done; then it cuts the rest short and returns
// ctx's error once they are closed. Use it on a graceful process exit.
// (A process that exits without it leaves the kernel to close the waiting
// sockets: gracefully, unless bytes arrived unread.)
func (d *Dialer) Shutdown(ctx context.Context) error {
	d.closeOnce.Do(func() {
		if d.metrics != nil {
			d.closeErr = d.metrics.Unregister()
		}
	})
	d.keepAlive.stop()
	err := d.awaits.shutdown(ctx)
	d.looker.Close() // later lookups open a socket each
	if err != nil {
		return err
	}
	return d.closeErr
}
