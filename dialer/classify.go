package dialer

import (
	"net"
	"syscall"

	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// peerClosedState reports the states in which the peer's FIN (or reset)
// has come: a close now is passive.
func peerClosedState(state uint8) bool {
	switch state {
	case sockopt.StateCloseWait, sockopt.StateLastAck, sockopt.StateClose:
		return true
	}
	return false
}

// closeClassified closes a socket whose state and unread byte count were
// just read, with closeFd, and says which side closed first. half is the
// side+1 recorded by CloseWrite, or 0.
//
// The side is decided from the kernel, and exactly: an established socket
// is first shut down for writing, then its state read again. FIN_WAIT
// or CLOSING means this FIN went first (TIME_WAIT here); LAST_ACK means
// the peer's FIN arrived between the two reads (no TIME_WAIT here). CLOSE
// can mean either, so the kernel is asked whether a TIME_WAIT holds the
// 4-tuple. Reading the state once and closing would count a close active
// when the peer's FIN slips in between.
func closeClassified(rc syscall.RawConn, state uint8, unread int, half uint32, local, remote net.Addr, closeFd func() error) (Side, error) {
	var side Side
	switch {
	case half != 0:
		side = Side(half - 1)
		if unread > 0 && (state == sockopt.StateFinWait1 || state == sockopt.StateFinWait2 || state == sockopt.StateClosing) {
			side = SideAbortive // unread bytes: Linux answers the close with an RST
		}
	case peerClosedState(state):
		side = SidePassive
	case state == sockopt.StateEstablished && unread > 0:
		side = SideAbortive
	case state == sockopt.StateEstablished:
		side, _ = shutdownSide(rc, func() error { return sockopt.ShutdownWrite(rc) }, local, remote)
	default:
		side = SideActive
	}
	return side, closeFd()
}

// shutdownSide sends this side's FIN with shutdown and says who closed
// first, as closeClassified explains.
func shutdownSide(rc syscall.RawConn, shutdown func() error, local, remote net.Addr) (Side, error) {
	err := shutdown()
	state, serr := sockopt.State(rc)
	if serr != nil {
		return SideActive, err
	}
	switch state {
	case sockopt.StateFinWait1, sockopt.StateFinWait2, sockopt.StateClosing, sockopt.StateEstablished:
		return SideActive, err
	case sockopt.StateClose:
		if err != nil { // shutdown found it closed: the peer reset it
			return SidePassive, err
		}
		return timeWaitSide(local, remote), err
	}
	return SidePassive, err
}

// timeWaitSide asks the kernel whether a TIME_WAIT holds the 4-tuple of a
// socket that reached CLOSE right after its shutdown.
func timeWaitSide(local, remote net.Addr) Side {
	state, found, err := sockdiag.Lookup(addrPortOf(local), addrPortOf(remote))
	if err != nil || (found && state == sockopt.StateTimeWait) {
		return SideActive
	}
	if found && state != sockopt.StateClose {
		return SideActive // an orphan still closing from this side
	}
	return SidePassive
}
