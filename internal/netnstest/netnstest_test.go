package netnstest_test

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunSetsUpNamespace(t *testing.T) {
	cfg := netnstest.Config{
		PortLow: 40000, PortHigh: 40009,
		Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/8"), netip.MustParsePrefix("fd00::2/128")},
	}
	netnstest.Run(t, cfg, func(t *testing.T) {
		assertFile(t, "/proc/sys/net/ipv4/ip_local_port_range", "40000\t40009")
		assertFile(t, "/proc/sys/net/ipv4/tcp_tw_reuse", "0")
		assertFile(t, "/proc/sys/net/ipv4/tcp_rfc1337", "1")
		ln := netnstest.Listen(t, "127.0.0.1:5000")
		c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("fd00::2")}}).Dial("tcp", "[::1]:5000")
		if err == nil {
			c.Close()
			t.Fatal("dialing an IPv4 listener over IPv6 succeeded")
		}
		c, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		port := c.LocalAddr().(*net.TCPAddr).Port
		if port < 40000 || port > 40009 {
			t.Fatalf("local port %d outside the namespace's range 40000-40009", port)
		}
		assertHasAddr(t, "127.0.0.2")
		assertHasAddr(t, "fd00::2")
	})
}

func TestRunIsolatesFromHost(t *testing.T) {
	host, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	netnstest.Run(t, netnstest.Config{PortLow: 50000, PortHigh: 50001}, func(t *testing.T) {
		assertFile(t, "/proc/sys/net/ipv4/ip_local_port_range", "50000\t50001")
	})
	if netnstest.InChild() {
		return
	}
	after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if string(host) != string(after) {
		t.Fatalf("host range changed from %q to %q", host, after)
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != want {
		t.Fatalf("%s = %q, want %q", path, got, want)
	}
}

func assertHasAddr(t *testing.T, want string) {
	t.Helper()
	ifc, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if strings.HasPrefix(a.String(), want+"/") {
			return
		}
	}
	t.Fatalf("lo has %v, want %s among them", addrs, want)
}

// A test that skips inside the namespace (a server not installed) is
// skipped, not failed, outside it too, with the child's reason.
func TestChildSkipIsASkip(t *testing.T) {
	skipped := false
	ok := t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
			t.Skip("no such server here")
		})
	})
	if !ok || !skipped {
		t.Errorf("inner: succeeded %v, skipped %v; want a skip", ok, skipped)
	}
}
