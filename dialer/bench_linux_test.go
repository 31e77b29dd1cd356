package dialer

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// benchNamespace has a wide port range so that a benchmark's client-first
// closes do not run the ports out; tcp_tw_reuse=1 lets them recycle.
var benchNamespace = netnstest.Config{PortLow: 10000, PortHigh: 60999, TWReuse: 1}

// BenchmarkDial measures a dial and a close on loopback: net.Dialer, the
// keepconn dialer with defaults, and with source addresses (the dial plan
// and the bind on every socket), each under a context with a deadline.
// The "-exact-close" and "-sources" net.Dialer cases are floors: the
// system calls keepconn's exact close accounting and source binding make,
// on a socket set up as keepconn's (floorDialer), and nothing else of
// keepconn.
// Each sub-benchmark runs in a namespace of its own, so none inherits
// another's TIME_WAIT sockets. Compare with internal/benchratio:
//
//	go run ./internal/benchratio -pkg ./dialer -bench Dial -baseline net.Dialer -n 10 -benchtime 20000x
func BenchmarkDial(b *testing.B) {
	dialers := []struct {
		name string
		dial func(b *testing.B) dialFunc
	}{
		{"net.Dialer", func(*testing.B) dialFunc { return (&net.Dialer{}).DialContext }},
		{"keepconn", func(b *testing.B) dialFunc { return mustNew(b, Config{}).DialContext }},
		{"net.Dialer-exact-close", func(*testing.B) dialFunc { return exactClose(floorDialer().DialContext) }},
		{"net.Dialer-sources", func(*testing.B) dialFunc { return noPortDialer("127.0.0.1", "127.0.0.2").DialContext }},
		{"net.Dialer-sources-exact-close", func(*testing.B) dialFunc {
			return exactClose(noPortDialer("127.0.0.1", "127.0.0.2").DialContext)
		}},
		{"keepconn-sources", func(b *testing.B) dialFunc {
			return mustNew(b, Config{SourceAddrs: addrs("127.0.0.1", "127.0.0.2")}).DialContext
		}},
	}
	for _, dd := range dialers {
		b.Run(dd.name, func(b *testing.B) {
			netnstest.Run(b, benchNamespace, func(b *testing.B) {
				srv := startServer(b, "127.0.0.1:5000", drainUntilEOF)
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // the common case: a deadline
				defer cancel()
				benchDial(b, ctx, dd.dial(b), srv.addr())
			})
		})
	}
}

// floorDialer is a net.Dialer that sets up its sockets at the dial as a
// keepconn dialer with defaults does: without keepalive, which keepconn
// switches on only for connections that live half its idle time
// (keepAliveArmer), longer than any dial and close here.
func floorDialer() *net.Dialer {
	return &net.Dialer{KeepAlive: -1}
}

// noPortDialer is the floor of the keepconn-sources case: a net.Dialer
// (floorDialer) whose Control binds the sources round robin with
// IP_BIND_ADDRESS_NO_PORT, and does nothing else.
func noPortDialer(srcs ...string) *net.Dialer {
	var next atomic.Uint32
	d := floorDialer()
	d.Control = func(_, _ string, rc syscall.RawConn) error {
		src := netip.MustParseAddr(srcs[int(next.Add(1))%len(srcs)]).As4()
		var err error
		rc.Control(func(fd uintptr) {
			if err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1); err == nil {
				err = unix.Bind(int(fd), &unix.SockaddrInet4{Addr: src})
			}
		})
		return err
	}
	return d
}

// exactClose is the floor of the keepconn cases' close: the two system
// calls that classify a client-first close exactly (shutdown, then one
// TCP_INFO read of the state and the bytes received) before close(2),
// and nothing else.
func exactClose(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return floorConn{c.(*net.TCPConn)}, nil
	}
}

type floorConn struct{ *net.TCPConn }

func (c floorConn) Close() error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	rc.Control(func(fd uintptr) {
		unix.Shutdown(int(fd), unix.SHUT_WR)
		var info unix.TCPInfo
		size := uint32(unsafe.Sizeof(info))
		unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.IPPROTO_TCP, unix.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	})
	return c.TCPConn.Close()
}

func benchDial(b *testing.B, ctx context.Context, dial dialFunc, addr string) {
	defer reportKernelAsks(b)()
	b.ReportAllocs()
	for b.Loop() {
		c, err := dial(ctx, "tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// reportKernelAsks returns a function that reports, per operation, the
// closes that asked more of the kernel than one state read: a peek at the
// receive queue, a lookup of the TIME_WAIT table.
func reportKernelAsks(b *testing.B) func() {
	peeks, lookups := sockopt.Peeks.Load(), timeWaitLookups.Load()
	return func() {
		b.ReportMetric(float64(sockopt.Peeks.Load()-peeks)/float64(b.N), "peeks/op")
		b.ReportMetric(float64(timeWaitLookups.Load()-lookups)/float64(b.N), "lookups/op")
	}
}
