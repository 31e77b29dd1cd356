package dialer

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"golang.org/x/sys/unix"
)

// sockInt reads an integer socket option of c.
func sockInt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	var v int
	var gerr error
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) })
	if gerr != nil {
		t.Fatalf("getsockopt(%d, %d): %v", level, opt, gerr)
	}
	return v
}

func sockLinger(t *testing.T, c net.Conn) unix.Linger {
	t.Helper()
	var l *unix.Linger
	var gerr error
	raw, _ := c.(syscall.Conn).SyscallConn()
	raw.Control(func(fd uintptr) { l, gerr = unix.GetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return *l
}

type optCheck struct {
	name       string
	level, opt int
	want       int
}

func TestSocketOptionsAreSet(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		d := mustNew(t, Config{
			KeepAlive:      KeepAlive{Idle: 7 * time.Second, Interval: 3 * time.Second, Count: 4},
			UserTimeout:    5 * time.Second,
			ReuseAddr:      true,
			DisableNoDelay: true,
			Close:          CloseLinger,
			LingerTimeout:  2 * time.Second,
			SourceAddrs:    addrs("127.0.0.1"),
			PortRange:      PortRange{40010, 40019},
		})
		c := dialOrFail(t, d, srv.addr())
		defer c.Close()
		c.(*Conn).settleKeepAlive() // as it is once the connection is Idle/2 old
		assertOpts(t, c, []optCheck{
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 7},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 3},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 4},
			{"TCP_USER_TIMEOUT", unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 5000},
			{"SO_REUSEADDR", unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
			{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 0},
			{"IP_BIND_ADDRESS_NO_PORT", unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1},
			{"IP_LOCAL_PORT_RANGE", unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, portRangeOpt(40010, 40019)},
		})
		if l := sockLinger(t, c); l.Onoff != 1 || l.Linger != 2 {
			t.Errorf("SO_LINGER = %+v, want on, 2 s", l)
		}
	})
}

func TestSocketOptionDefaults(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	c := dialOrFail(t, mustNew(t, Config{}), srv.addr())
	defer c.Close()
	c.(*Conn).settleKeepAlive()
	assertOpts(t, c, []optCheck{
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(DefaultKeepAliveIdle / time.Second)},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, int(DefaultKeepAliveInterval / time.Second)},
		{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, kernelKeepAliveCount(t)},
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
		{"SO_REUSEADDR", unix.SOL_SOCKET, unix.SO_REUSEADDR, 0},
		{"TCP_USER_TIMEOUT", unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 0},
	})
	if l := sockLinger(t, c); l.Onoff != 0 {
		t.Errorf("SO_LINGER = %+v, want off", l)
	}
	abortive := dialOrFail(t, mustNew(t, Config{Close: CloseAbortive, DisableKeepAlive: true}), srv.addr())
	defer abortive.Close()
	assertOpts(t, abortive, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0}})
	if l := sockLinger(t, abortive); l.Onoff != 0 {
		t.Errorf("SO_LINGER = %+v, want off until Close finds the queues empty", l)
	}
}

// TestKeepAliveCountIsTheKernels: a zero KeepAlive.Count leaves the
// count to net.ipv4.tcp_keepalive_probes (5 in this namespace: a dialer
// that set net.Dialer's 9 would read 9); a Count given is set.
func TestKeepAliveCountIsTheKernels(t *testing.T) {
	ns := netnstest.Config{Sysctls: map[string]string{"net.ipv4.tcp_keepalive_probes": "5"}}
	netnstest.Run(t, ns, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		for _, tc := range []struct {
			count, want int
		}{{0, 5}, {4, 4}} {
			c := dialOrFail(t, mustNew(t, Config{KeepAlive: KeepAlive{Count: tc.count}}), srv.addr())
			c.(*Conn).settleKeepAlive()
			assertOpts(t, c, []optCheck{{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, tc.want}})
			c.Close()
		}
	})
}

// kernelKeepAliveCount reads net.ipv4.tcp_keepalive_probes.
func kernelKeepAliveCount(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_keepalive_probes")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func assertOpts(t *testing.T, c net.Conn, checks []optCheck) {
	t.Helper()
	for _, ch := range checks {
		if got := sockInt(t, c, ch.level, ch.opt); got != ch.want {
			t.Errorf("%s = %d, want %d", ch.name, got, ch.want)
		}
	}
}

// portRangeOpt is IP_LOCAL_PORT_RANGE's u32 as getsockopt's int returns it.
func portRangeOpt(low, high uint16) int { return int(int32(uint32(high)<<16 | uint32(low))) }
