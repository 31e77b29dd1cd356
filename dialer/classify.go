package dialer

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// probeClose probes a socket about to be closed (sockopt.Probe) and says
// which side its close makes the first: half is the side+1 recorded by
// CloseWrite, or 0, in which case the socket is shut down for writing
// when the peer is still open.
//
// The side is decided from the kernel, exactly. Unread bytes make Linux
// answer the close with an RST: abortive. The peer's FIN already in, or a
// reset: passive. Otherwise this side's FIN is sent by shutdown and the
// state read right after it: FIN_WAIT or CLOSING means it went first
// (TIME_WAIT here); LAST_ACK means the peer's FIN came before the
// shutdown (no TIME_WAIT here). CLOSE, reached when the round trip is
// shorter than the shutdown itself (loopback), can mean either: unless
// SO_ERROR tells a reset, the kernel is asked whether a TIME_WAIT holds
// the 4-tuple. (Nothing else tells it: a peer's FIN that slipped in
// between the peek and the shutdown, longer ago than a delayed ACK, left
// the socket as a FIN after this side's would.) Reading the state once
// and then closing would count a close active whenever the peer's FIN
// slipped in before the close.
//
// With p.Counted the shutdown comes first and one TCP_INFO read gives the
// state and the bytes received, which against p.Consumed tell whether a
// peek for unread bytes is needed at all: two system calls for the
// common active close. Without it the peek comes first, which tells a
// peer-first close in one.
func probeClose(p *sockopt.Probe, rc syscall.RawConn, half uint32, lk *sockdiag.Looker, local, remote net.Addr) Side {
	p.Shutdown = half == 0
	if err := p.Run(rc); err != nil && p.Peer == sockopt.PeerOpen && !p.ShutDown {
		return SideActive // the state cannot be read: assume the TIME_WAIT is ours
	}
	switch {
	case p.Peer == sockopt.PeerData && half != uint32(SidePassive)+1:
		return SideAbortive
	case half != 0:
		return Side(half - 1)
	case p.Peer == sockopt.PeerEOF || p.Peer == sockopt.PeerGone:
		return SidePassive
	case !p.ShutDown:
		return SidePassive // shutdown refused: the connection was gone
	}
	if p.State == sockopt.StateClose && p.Reset {
		return SidePassive // reset by the peer: no TIME_WAIT
	}
	return sideAfterShutdown(p.State, lk, local, remote)
}

// sideAfterShutdown reads the side from the state right after this
// side's shutdown, as probeClose explains.
func sideAfterShutdown(state uint8, lk *sockdiag.Looker, local, remote net.Addr) Side {
	switch state {
	case sockopt.StateLastAck, sockopt.StateCloseWait:
		return SidePassive
	case sockopt.StateClose:
		return timeWaitSide(lk, local, remote)
	}
	return SideActive
}

// shutdownSide sends this side's FIN with shutdown and says who closed
// first, as probeClose explains; for CloseWrite.
func shutdownSide(rc syscall.RawConn, shutdown func() error, lk *sockdiag.Looker, local, remote net.Addr) (Side, error) {
	err := shutdown()
	state, serr := sockopt.State(rc)
	switch {
	case serr != nil:
		return SideActive, err
	case err != nil && state == sockopt.StateClose:
		return SidePassive, err // shutdown found it closed: the peer reset it
	}
	return sideAfterShutdown(state, lk, local, remote), err
}

// timeWaitSide asks the kernel whether a TIME_WAIT holds the 4-tuple of a
// socket that reached CLOSE right after its shutdown: the socket itself is
// out of the kernel's tables then, so a TIME_WAIT found is its own. A
// socket found in another state is a new connection that reused the
// local port the passive close freed at once. lk,
// the dialer's, keeps a netlink socket open; nil opens one for the call.
func timeWaitSide(lk *sockdiag.Looker, local, remote net.Addr) Side {
	timeWaitLookups.Add(1)
	lookup := sockdiag.Lookup
	if lk != nil {
		lookup = lk.Lookup
	}
	state, found, err := lookup(socketAddrPort(local), socketAddrPort(remote))
	switch {
	case err != nil:
		return SideActive
	case found && state == sockopt.StateTimeWait:
		return SideActive
	}
	return SidePassive // none, or a new connection that took the freed port
}

// socketAddrPort is a's address as the socket reports it: 4 bytes for an
// AF_INET socket, IPv4-mapped for an AF_INET6 one, which tells
// sockdiag.Lookup the family to ask.
func socketAddrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok && ta != nil {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}

// timeWaitLookups counts the closes that needed a kernel lookup (tests
// and benchmarks report it).
var timeWaitLookups atomic.Int64
