package dialer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
)

// tenPorts is a namespace with a 10-port ephemeral range, TIME_WAIT reuse
// off, and three extra loopback addresses.
var tenPorts = netnstest.Config{
	PortLow: 40000, PortHigh: 40009,
	Addrs: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.2/8"),
		netip.MustParsePrefix("127.0.0.3/8"),
		netip.MustParsePrefix("127.0.0.4/8"),
	},
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// churnUntilFailure dials addr and closes each connection first, up to
// limit times, and returns how many dials succeeded and the first error.
func churnUntilFailure(t *testing.T, dial dialFunc, addr string, limit int) (int, error) {
	t.Helper()
	for i := 0; i < limit; i++ {
		c, err := dial(context.Background(), "tcp", addr)
		if err != nil {
			return i, err
		}
		if err := c.Close(); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
	return limit, nil
}

// holdUntilFailure dials addr and keeps each connection open, up to limit.
func holdUntilFailure(t *testing.T, dial dialFunc, addr string, limit int) (int, error) {
	t.Helper()
	for i := 0; i < limit; i++ {
		c, err := dial(context.Background(), "tcp", addr)
		if err != nil {
			return i, err
		}
		t.Cleanup(func() { c.Close() })
	}
	return limit, nil
}

func TestExhaustion(t *testing.T) {
	t.Run("net.Dialer closing first fails on connect 11", func(t *testing.T) {
		netnstest.Run(t, tenPorts, func(t *testing.T) {
			srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
			n, err := churnUntilFailure(t, (&net.Dialer{}).DialContext, srv.addr(), 100)
			if n != 10 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
				t.Fatalf("net.Dialer: %d connections, then %v; want 10, then EADDRNOTAVAIL", n, err)
			}
		})
	})
	t.Run("four sources give 40 to one destination", func(t *testing.T) {
		netnstest.Run(t, tenPorts, func(t *testing.T) {
			srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
			d := mustNew(t, Config{SourceAddrs: addrs("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")})
			n, err := churnUntilFailure(t, d.DialContext, srv.addr(), 100)
			if n != 40 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
				t.Fatalf("keepconn: %d connections, then %v; want 40, then EADDRNOTAVAIL", n, err)
			}
			s := d.Stats()
			if s.AddrNotAvail != 1 || s.Opened != 40 || s.ActiveCloses != 40 || s.DialErrors != 1 {
				t.Fatalf("stats %+v; want AddrNotAvail 1, Opened 40, ActiveCloses 40, DialErrors 1", s)
			}
		})
	})
}

func TestPortsSharedAcrossDestinations(t *testing.T) {
	dests := []string{"127.0.0.1:5000", "127.0.0.1:5001"}
	t.Run("IP_BIND_ADDRESS_NO_PORT: 10 per destination", func(t *testing.T) {
		netnstest.Run(t, tenPorts, func(t *testing.T) {
			d := mustNew(t, Config{SourceAddrs: addrs("127.0.0.1")})
			total := holdPerDestination(t, d.DialContext, dests, syscall.EADDRNOTAVAIL)
			if total != 20 {
				t.Fatalf("%d connections in all, want 20", total)
			}
		})
	})
	t.Run("net.Dialer.LocalAddr: 10 in all", func(t *testing.T) {
		netnstest.Run(t, tenPorts, func(t *testing.T) {
			nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
			total := holdPerDestination(t, nd.DialContext, dests, syscall.EADDRINUSE)
			if total != 10 {
				t.Fatalf("%d connections in all, want 10", total)
			}
		})
	})
}

// holdPerDestination fills every destination in turn and returns the total;
// each fill must end with wantErr.
func holdPerDestination(t *testing.T, dial dialFunc, dests []string, wantErr error) int {
	t.Helper()
	total := 0
	for _, addr := range dests {
		startServer(t, addr, drainUntilEOF)
		n, err := holdUntilFailure(t, dial, addr, 100)
		if !errors.Is(err, wantErr) {
			t.Fatalf("towards %s: %d connections, then %v; want %v", addr, n, err, wantErr)
		}
		t.Logf("towards %s: %d connections", addr, n)
		total += n
	}
	return total
}
