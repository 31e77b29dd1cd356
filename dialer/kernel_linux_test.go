package dialer

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// tcpEntry is one socket of /proc/net/tcp{,6}.
type tcpEntry struct {
	local, remote netip.AddrPort
	state         uint8
}

// kernelSockets lists the TCP sockets of this network namespace.
func kernelSockets(t testing.TB) []tcpEntry {
	t.Helper()
	var out []tcpEntry
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			st, _ := strconv.ParseUint(fields[3], 16, 8)
			out = append(out, tcpEntry{procAddr(t, fields[1]), procAddr(t, fields[2]), uint8(st)})
		}
		f.Close()
	}
	return out
}

// procAddr decodes "0100007F:1388" (address words in host byte order).
func procAddr(t testing.TB, s string) netip.AddrPort {
	hexAddr, hexPort, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(hexAddr)
	if err != nil {
		t.Fatalf("bad /proc address %q", s)
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	port, _ := strconv.ParseUint(hexPort, 16, 16)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port))
}

// stateOf returns the kernel state of the socket with this local and remote
// address, or 0 when there is none.
func stateOf(t testing.TB, local, remote net.Addr) uint8 {
	t.Helper()
	l, r := toAddrPort(local), toAddrPort(remote)
	for _, e := range kernelSockets(t) {
		if e.local == l && e.remote == r {
			return e.state
		}
	}
	return 0
}

func toAddrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
