package dialer

import (
	"crypto/tls"
	"net"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// CloseIdle closes an idle connection without leaving a TIME_WAIT when that
// loses nothing: if the connection is established and both its receive
// queue (bytes not read) and send queue (bytes not yet acknowledged) are
// empty, it closes abortively (SO_LINGER 0, an RST) and reports aborted.
// Otherwise it closes gracefully, so that every byte written reaches the
// peer; a connection the peer already closed is closed gracefully too,
// since that close leaves no TIME_WAIT here anyway.
//
// Bytes the peer sent that were never read are dropped before the close:
// Linux answers a close with unread data by an RST that would also throw
// away this side's unsent data. An idle connection has no unread bytes
// unless the peer broke the protocol.
//
// c may be a *Conn, a *net.TCPConn, or a connection that wraps one of them
// through a NetConn() net.Conn method. Call it only where the protocol is
// at a message boundary: a peer that sends after the check sees an RST.
func CloseIdle(c net.Conn) (aborted bool, err error) {
	side, err := CloseIdleSide(c)
	return side == SideAbortive, err
}

// CloseIdleSide is CloseIdle that also says which side closed first:
// SideAbortive when it reset the connection, else as CloseSide reports.
func CloseIdleSide(c net.Conn) (Side, error) {
	kc, tc := findTCP(c)
	if tc == nil || wrapsTLS(c) || !abortIfIdle(tc) {
		return CloseSide(c)
	}
	if kc != nil {
		kc.abort.Store(true)
	} else if err := tc.SetLinger(0); err != nil {
		return CloseSide(c)
	}
	return SideAbortive, c.Close()
}

// CloseSide closes c and says which side closed first, for any connection:
// a *Conn (counted by its Dialer), a *net.TCPConn, or a wrapper of either
// with a NetConn() net.Conn method. The side is read from the kernel's TCP
// state just before the close; where it cannot be read (not TCP, not Linux)
// it is SideActive, the side that keeps the TIME_WAIT.
func CloseSide(c net.Conn) (Side, error) {
	kc, tc := findTCP(c)
	switch {
	case kc != nil && net.Conn(kc) == c:
		return kc.CloseSide()
	case kc != nil:
		err := c.Close() // the wrapper closes kc, which classifies and counts it
		return Side(kc.side.Load()), err
	case tc != nil:
		side := SideActive
		if raw, err := tc.SyscallConn(); err == nil {
			side = classify(raw, false)
		}
		return side, c.Close()
	}
	return SideActive, c.Close()
}

// wrapsTLS reports whether a TLS layer sits above the TCP connection: its
// Close writes a close_notify alert after the queue check, which a reset
// would throw away.
func wrapsTLS(c net.Conn) bool {
	for range 8 {
		switch v := c.(type) {
		case *tls.Conn:
			return true
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return false
		}
	}
	return false
}

// findTCP walks NetConn() wrappers down to the TCP connection.
func findTCP(c net.Conn) (*Conn, *net.TCPConn) {
	for range 8 {
		switch v := c.(type) {
		case *Conn:
			return v, v.tcpConn
		case *net.TCPConn:
			return nil, v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil, nil
		}
	}
	return nil, nil
}

// abortIfIdle reports whether an abortive close loses nothing. When it
// does not, it empties the receive queue so that the graceful close that
// follows really sends a FIN.
func abortIfIdle(tc *net.TCPConn) bool {
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	if state, err := sockopt.State(raw); err != nil || state != sockopt.StateEstablished {
		return false
	}
	unread, unacked, err := sockopt.Queues(raw)
	if err != nil {
		return false
	}
	if unread > 0 && sockopt.DiscardUnread(raw, unread) != nil {
		return false
	}
	return unread == 0 && unacked == 0
}

// CloseConn closes c on behalf of an owner that knows why (a pool, a
// Transport): the close is counted with reason r by c's Dialer when c is,
// or wraps, a *Conn, and report, if not nil, is called exactly once with
// the side that closed first once that is known. report may run after
// CloseConn returns, from another goroutine, when the dialer waits for
// the peer to close first.
func CloseConn(c net.Conn, r Reason, report func(Side)) error {
	if kc, _ := findTCP(c); kc != nil {
		kc.setReason(r)
	}
	side, err := CloseSide(c)
	if report != nil {
		report(side)
	}
	return err
}

// CloseIdleConn is CloseConn for a connection at a protocol boundary: it
// closes as CloseIdle does (an RST when nothing is queued either way).
func CloseIdleConn(c net.Conn, r Reason, report func(Side)) error {
	if kc, _ := findTCP(c); kc != nil {
		kc.setReason(r)
	}
	side, err := CloseIdleSide(c)
	if report != nil {
		report(side)
	}
	return err
}
