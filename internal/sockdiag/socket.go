package sockdiag

import (
	"errors"
	"net/netip"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// TCP states, as in the Linux kernel's include/net/tcp_states.h. They are
// the values of Socket.State and the bit numbers of a StateMask.
const (
	StateEstablished = sockopt.StateEstablished
	StateSynSent     = sockopt.StateSynSent
	StateSynRecv     = sockopt.StateSynRecv
	StateFinWait1    = sockopt.StateFinWait1
	StateFinWait2    = sockopt.StateFinWait2
	StateTimeWait    = sockopt.StateTimeWait
	StateClose       = sockopt.StateClose
	StateCloseWait   = sockopt.StateCloseWait
	StateLastAck     = sockopt.StateLastAck
	StateListen      = sockopt.StateListen
	StateClosing     = sockopt.StateClosing
)

// StateMask selects TCP states: bit n set selects state n.
type StateMask uint32

// Masks used by keepconn.
const (
	// TimeWait selects TIME_WAIT sockets only.
	TimeWait StateMask = 1 << StateTimeWait
	// Connected selects every state in which a socket holds a local port
	// towards a peer: all states but LISTEN and CLOSE.
	Connected StateMask = 1<<StateEstablished | 1<<StateSynSent | 1<<StateSynRecv |
		1<<StateFinWait1 | 1<<StateFinWait2 | 1<<StateTimeWait |
		1<<StateCloseWait | 1<<StateLastAck | 1<<StateClosing
)

// Has reports whether the mask selects state.
func (m StateMask) Has(state uint8) bool { return state < 32 && m&(1<<state) != 0 }

// Socket is one TCP socket as the kernel reports it. Addresses are
// unmapped: an IPv6 socket talking to ::ffff:192.0.2.1 shows 192.0.2.1.
type Socket struct {
	State  uint8          // TCP state, StateEstablished … StateClosing
	Local  netip.AddrPort // local address and port
	Remote netip.AddrPort // remote address and port
	UID    uint32         // owner; 0 for TIME_WAIT entries
	Inode  uint32         // socket inode; 0 for TIME_WAIT entries
}

// Source says where a list of sockets came from.
type Source uint8

const (
	// SourceNetlink: a NETLINK_SOCK_DIAG dump.
	SourceNetlink Source = iota + 1
	// SourceProc: /proc/net/tcp and /proc/net/tcp6.
	SourceProc
)

// String names the source.
func (s Source) String() string {
	switch s {
	case SourceNetlink:
		return "netlink"
	case SourceProc:
		return "proc"
	}
	return "none"
}

// Errors reported by the decoders and readers. Causes are wrapped with %w.
var (
	// ErrTruncated: a netlink datagram or message ends before its length says.
	ErrTruncated = errors.New("keepconn/sockdiag: truncated netlink message")
	// ErrRefused: the kernel refused the netlink dump (no permission, no
	// sock_diag support); the /proc files may still work.
	ErrRefused = errors.New("keepconn/sockdiag: netlink sock_diag refused")
	// ErrMalformed: a /proc line or file is not in the expected format.
	ErrMalformed = errors.New("keepconn/sockdiag: malformed line")
)

// addrFrom builds an unmapped address from 4 or 16 raw bytes.
func addrFrom(b []byte) netip.Addr {
	if len(b) == 4 {
		return netip.AddrFrom4([4]byte(b))
	}
	return netip.AddrFrom16([16]byte(b)).Unmap()
}
