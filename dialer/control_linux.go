package dialer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"github.com/keepconn/keepconn/internal/sockopt"
	"golang.org/x/sys/unix"
)

// controlFunc returns the function net.Dialer calls on each new socket
// before bind and connect, or nil when there is nothing to set there.
func (d *Dialer) controlFunc() func(context.Context, string, string, syscall.RawConn) error {
	if !d.needPlan && !d.cfg.ReuseAddr && d.cfg.UserTimeout == 0 && d.ports != portSockopt {
		return nil
	}
	return d.control
}

func (d *Dialer) control(ctx context.Context, network, address string, rc syscall.RawConn) error {
	if p := planFrom(ctx); p != nil {
		return p.control(ctx, network, address, rc)
	}
	var err error
	if cerr := rc.Control(func(fd uintptr) { err = d.prepare(ctx, int(fd), network, address) }); cerr != nil {
		return cerr
	}
	return err
}

// ctlOp is the control function of one family's attempts of a dial: they
// run one after the other (a Happy Eyeballs race runs the two families at
// once, each with its own ctlOp), so one function value serves every
// attempt and retry of the family.
type ctlOp struct {
	d                *Dialer
	ctx              context.Context
	network, address string
	err              error
	fn               func(uintptr)
}

func (o *ctlOp) run(fd uintptr) { o.err = o.d.prepare(o.ctx, int(fd), o.network, o.address) }

func (p *dialPlan) control(ctx context.Context, network, address string, rc syscall.RawConn) error {
	o := &p.ops[familyIndex(network)]
	if o.fn == nil {
		o.d, o.fn = p.d, o.run
	}
	o.ctx, o.network, o.address, o.err = ctx, network, address, nil
	if err := rc.Control(o.fn); err != nil {
		return err
	}
	return o.err
}

// prepare sets the socket options and binds the source, if any.
func (d *Dialer) prepare(ctx context.Context, fd int, network, address string) error {
	if d.cfg.ReuseAddr || d.ports == portBind {
		if err := sockopt.SetReuseAddr(fd); err != nil {
			return fmt.Errorf("keepconn/dialer: SO_REUSEADDR: %w", err)
		}
	}
	if d.cfg.UserTimeout > 0 {
		if err := sockopt.SetUserTimeout(fd, d.cfg.UserTimeout); err != nil {
			return fmt.Errorf("keepconn/dialer: TCP_USER_TIMEOUT: %w", err)
		}
	}
	if d.ports == portSockopt {
		if err := sockopt.SetLocalPortRange(fd, d.cfg.PortRange.Low, d.cfg.PortRange.High); err != nil {
			return fmt.Errorf("keepconn/dialer: IP_LOCAL_PORT_RANGE: %w", err)
		}
	}
	if p := planFrom(ctx); p != nil {
		return p.bind(fd, network, address)
	}
	return nil
}

// bind binds the socket to the plan's current source, without a port or,
// for explicit port ranges, to the next free port of the range.
func (p *dialPlan) bind(fd int, network, address string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := &p.fam[familyIndex(network)]
	src, ok := f.source(p.d.sourcesFor(network), p.srcStart)
	if !ok && len(p.d.cfg.SourceAddrs) > 0 {
		return fmt.Errorf("keepconn/dialer: no source address of the family of %s among Config.SourceAddrs", address)
	}
	if p.d.ports != portBind {
		if err := sockopt.SetBindNoPort(fd); err != nil {
			return fmt.Errorf("keepconn/dialer: IP_BIND_ADDRESS_NO_PORT: %w", err)
		}
		return bindErr(bindRaw(fd, network, src, 0), src)
	}
	return p.bindPort(fd, network, f, src)
}

// bindPort tries the ports of the range in the plan's shifted order until a
// bind succeeds. A port whose 4-tuple is taken fails later, at connect,
// with EADDRNOTAVAIL, and the dial is retried with the next port.
func (p *dialPlan) bindPort(fd int, network string, f *familyPlan, src sockSource) error {
	for {
		port, ok := f.port(p.d.cfg.PortRange, p.portStart)
		if !ok {
			return fmt.Errorf("keepconn/dialer: every port of Config.PortRange %d-%d is in use: %w",
				p.d.cfg.PortRange.Low, p.d.cfg.PortRange.High, syscall.EADDRNOTAVAIL)
		}
		err := bindRaw(fd, network, src, port)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EADDRINUSE) {
			return bindErr(err, src)
		}
		f.portTried++
	}
}

// bindErr explains a failed bind: EADDRNOTAVAIL there means the source
// address is not on this host (any more), not that ports ran out.
func bindErr(err error, src sockSource) error {
	if err == nil || !errors.Is(err, unix.EADDRNOTAVAIL) || !src.addr.IsValid() {
		return err
	}
	return fmt.Errorf("%w: %s of Config.SourceAddrs is not an address of this host any more (not port exhaustion): bind: %w",
		ErrSourceUnavailable, src.addr, err)
}

// bindRaw binds fd to src and port (a zero src is the wildcard address)
// with the sockaddr on the stack: unix.Bind would allocate one per dial.
func bindRaw(fd int, network string, src sockSource, port uint16) error {
	var ptr unsafe.Pointer
	var n uintptr
	var sa4 unix.RawSockaddrInet4
	var sa6 unix.RawSockaddrInet6
	pb := (*[2]byte)(unsafe.Pointer(&sa4.Port))
	if network == "tcp6" {
		sa6.Family, sa6.Scope_id = unix.AF_INET6, src.zone
		if src.addr.IsValid() {
			sa6.Addr = src.addr.As16()
		}
		pb = (*[2]byte)(unsafe.Pointer(&sa6.Port))
		ptr, n = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	} else {
		sa4.Family = unix.AF_INET
		if src.addr.IsValid() {
			sa4.Addr = src.addr.As4()
		}
		ptr, n = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	}
	pb[0], pb[1] = byte(port>>8), byte(port) // network byte order
	if _, _, errno := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(ptr), n); errno != 0 {
		return errno
	}
	return nil
}

// localPortRangeSupported reports whether the kernel knows
// IP_LOCAL_PORT_RANGE (Linux 6.3 and later).
func localPortRangeSupported() bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return sockopt.SetLocalPortRange(fd, 1024, 65535) == nil
}

// withinSystemRange reports whether r lies inside
// net.ipv4.ip_local_port_range as it is now.
func withinSystemRange(r PortRange) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return false
	}
	var low, high int
	if _, err := fmt.Sscan(string(b), &low, &high); err != nil {
		return false
	}
	return low <= int(r.Low) && int(r.High) <= high
}

// checkPlatform accepts every option on Linux.
func checkPlatform(*Config) error { return nil }

// lazyKeepAlive: Linux counts the idle time already passed when
// TCP_KEEPIDLE is set, so keepalive can wait until a connection is half
// its idle time old (keepAliveArmer).
const lazyKeepAlive = true
