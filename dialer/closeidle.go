package dialer

import (
	"net"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// CloseIdle closes an idle connection without leaving a TIME_WAIT when that
// loses nothing: if the connection is established and both its receive
// queue (bytes not read) and send queue (bytes not yet acknowledged) are
// empty, it closes abortively (SO_LINGER 0, an RST) and reports aborted.
// Otherwise it closes gracefully, so no byte is ever discarded; a
// connection the peer already closed is closed gracefully too, since that
// close leaves no TIME_WAIT here anyway.
//
// c may be a *Conn, a *net.TCPConn, or a connection that wraps one of them
// through a NetConn() net.Conn method. Call it only where the protocol is
// at a message boundary: a peer that sends after the check sees an RST.
func CloseIdle(c net.Conn) (aborted bool, err error) {
	kc, tc := findTCP(c)
	if tc == nil || !safeToAbort(tc) {
		return false, c.Close()
	}
	if kc != nil {
		kc.abort.Store(true)
	} else if err := tc.SetLinger(0); err != nil {
		return false, c.Close()
	}
	return true, c.Close()
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

func safeToAbort(tc *net.TCPConn) bool {
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	if state, err := sockopt.State(raw); err != nil || state != sockopt.StateEstablished {
		return false
	}
	unread, unacked, err := sockopt.Queues(raw)
	return err == nil && unread == 0 && unacked == 0
}
