package dialer

import (
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// hundredPorts is a namespace whose system range is 40000-40099.
var hundredPorts = netnstest.Config{PortLow: 40000, PortHigh: 40099}

func TestPortRangeConfinesLocalPorts(t *testing.T) {
	cases := []struct {
		name      string
		rng       PortRange
		forceBind bool
		wantMode  portMode
	}{
		{"IP_LOCAL_PORT_RANGE", PortRange{40010, 40019}, false, portSockopt},
		{"explicit bind, forced", PortRange{40010, 40019}, true, portBind},
		{"explicit bind, range outside the system range", PortRange{45000, 45009}, false, portBind},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, hundredPorts, func(t *testing.T) {
				srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
				d := mustNew(t, Config{PortRange: tc.rng, forcePortBind: tc.forceBind})
				if d.ports != tc.wantMode {
					t.Fatalf("port mode %d, want %d", d.ports, tc.wantMode)
				}
				assertFillsRange(t, d, srv.addr(), tc.rng)
			})
		})
	}
}

// assertFillsRange holds connections until the dialer fails, and checks
// that every local port came from rng, each once, and that the failure is
// EADDRNOTAVAIL after exactly rng.Size() connections.
func assertFillsRange(t *testing.T, d *Dialer, addr string, rng PortRange) {
	t.Helper()
	seen := map[int]bool{}
	for i := 0; i <= rng.Size(); i++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			if i != rng.Size() || !errors.Is(err, syscall.EADDRNOTAVAIL) {
				t.Fatalf("dial %d failed: %v; want %d dials, then EADDRNOTAVAIL", i, err, rng.Size())
			}
			return
		}
		t.Cleanup(func() { c.Close() })
		port := c.LocalAddr().(*net.TCPAddr).Port
		if port < int(rng.Low) || port > int(rng.High) || seen[port] {
			t.Fatalf("dial %d: local port %d (seen before: %v), want a new port in %d-%d", i, port, seen[port], rng.Low, rng.High)
		}
		seen[port] = true
	}
	t.Fatalf("%d dials succeeded in a range of %d ports", rng.Size()+1, rng.Size())
}

func TestPortRangeWithSources(t *testing.T) {
	netnstest.Run(t, tenPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		d := mustNew(t, Config{PortRange: PortRange{40000, 40004}, forcePortBind: true, SourceAddrs: addrs("127.0.0.1", "127.0.0.2")})
		n, err := holdUntilFailure(t, d.DialContext, srv.addr(), 100)
		if n != 10 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Fatalf("%d connections, then %v; want 2 sources × 5 ports = 10, then EADDRNOTAVAIL", n, err)
		}
		if s := d.Stats(); s.AddrNotAvail != 1 || s.SourceRetries == 0 {
			t.Fatalf("stats %+v, want AddrNotAvail 1 and some SourceRetries", s)
		}
	})
}

// TestExplicitBindReusesTimeWait records a kernel rule the fallback path
// benefits from: connect() on a socket bound to an explicit port may take
// over a TIME_WAIT 4-tuple when TCP timestamps were seen on it (PAWS keeps
// that safe), even with tcp_tw_reuse=0. Churning through 5 ports therefore
// never runs dry on this path, while the kernel-chosen path does.
func TestExplicitBindReusesTimeWait(t *testing.T) {
	netnstest.Run(t, tenPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		bind := mustNew(t, Config{PortRange: PortRange{40000, 40004}, forcePortBind: true})
		if n, err := churnIntoTimeWait(t, bind, srv.addr(), 50); n != 50 {
			t.Fatalf("explicit binds: %d churned connections, then %v; want all 50", n, err)
		}
		kernel := mustNew(t, Config{PortRange: PortRange{40005, 40009}})
		if n, err := churnUntilFailure(t, kernel.DialContext, srv.addr(), 50); n != 5 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Fatalf("IP_LOCAL_PORT_RANGE: %d churned connections, then %v; want 5, then EADDRNOTAVAIL", n, err)
		}
	})
}

// churnIntoTimeWait dials and closes first up to limit times, each time
// waiting until the socket is in TIME_WAIT (the server has closed too), so
// that no port is still held by a half-closed connection.
func churnIntoTimeWait(t *testing.T, d *Dialer, addr string, limit int) (int, error) {
	t.Helper()
	for i := 0; i < limit; i++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return i, err
		}
		local, remote := c.LocalAddr(), c.RemoteAddr()
		c.Close()
		waitFor(t, "TIME_WAIT", func() bool { return stateOf(t, local, remote) == sockopt.StateTimeWait })
	}
	return limit, nil
}
