package sockdiag

import (
	"net"
	"net/netip"
	"testing"
)

// BenchmarkLooker measures one exact lookup through a kept netlink
// socket, as the dialer makes for a close whose side only the kernel's
// tables can tell: a hit (an established connection's own pair) and a
// miss (no socket has the pair).
//
//	go test -run '^$' -bench Looker -benchtime 20000x ./internal/sockdiag
func BenchmarkLooker(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().(*net.TCPAddr).AddrPort()
	var l Looker
	defer l.Close()
	for _, bc := range []struct {
		name   string
		remote netip.AddrPort
		found  bool
	}{
		{"hit", c.RemoteAddr().(*net.TCPAddr).AddrPort(), true},
		{"miss", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 1), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, found, err := l.Lookup(local, bc.remote); err != nil || found != bc.found {
					b.Fatalf("Lookup: found %v, %v; want found %v", found, err, bc.found)
				}
			}
		})
	}
}
