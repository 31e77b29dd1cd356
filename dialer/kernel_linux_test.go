package dialer

import (
	"context"
	"net"
	"testing"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// tcpEntry is one socket of the kernel's TCP tables.
type tcpEntry struct {
	local, remote net.Addr
	state         uint8
}

// kernelSockets lists the TCP sockets of this network namespace, in every
// state, through internal/sockdiag.
func kernelSockets(t testing.TB) []tcpEntry {
	t.Helper()
	var out []tcpEntry
	all := sockdiag.Connected | 1<<sockdiag.StateListen
	if _, err := sockdiag.Collect(context.Background(), all, func(s sockdiag.Socket) {
		out = append(out, tcpEntry{net.TCPAddrFromAddrPort(s.Local), net.TCPAddrFromAddrPort(s.Remote), s.State})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// stateOf returns the kernel state of the socket with this local and remote
// address, or 0 when there is none.
func stateOf(t testing.TB, local, remote net.Addr) uint8 {
	t.Helper()
	state, found, err := sockdiag.Lookup(addrPortOf(local), addrPortOf(remote))
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return 0
	}
	return state
}
