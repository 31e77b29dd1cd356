package dialer

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestSourcesRoundRobin(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{SourceAddrs: addrs("127.0.0.1", "127.0.0.2", "127.0.0.3")})
	var got []string
	for range 6 {
		c := dialOrFail(t, d, srv.addr())
		got = append(got, c.LocalAddr().(*net.TCPAddr).IP.String())
		c.Close()
	}
	want := "127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.1 127.0.0.2 127.0.0.3"
	if strings.Join(got, " ") != want {
		t.Fatalf("sources %v, want %s", got, want)
	}
}

func TestSourcesOfTheOtherFamilyAreSkipped(t *testing.T) {
	srv6 := startServer(t, "[::1]:0", drainUntilEOF)
	mixed := mustNew(t, Config{SourceAddrs: addrs("127.0.0.1", "::1")})
	for range 3 {
		c := dialOrFail(t, mixed, srv6.addr())
		if local := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr(); local != netip.IPv6Loopback() {
			t.Fatalf("IPv6 dial bound %v, want ::1", local)
		}
		c.Close()
	}
	onlyV4 := mustNew(t, Config{SourceAddrs: addrs("127.0.0.1")})
	if _, err := onlyV4.Dial("tcp", srv6.addr()); err == nil || !strings.Contains(err.Error(), "no source address of the family of [::1]") {
		t.Fatalf("IPv6 dial with only IPv4 sources: %v, want an error saying no source fits", err)
	}
}
