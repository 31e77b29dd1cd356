package dialer

import (
	"net"
	"syscall"

	"github.com/keepconn/keepconn/internal/netconn"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// SilentCloser is implemented by a connection wrapper whose Close writes
// nothing to the connection it wraps before closing it: no buffered bytes
// flushed, no goodbye message, no TLS close_notify. CloseIdle and
// CloseIdleConn reset a connection (no TIME_WAIT anywhere) only when every
// layer above the TCP connection is a SilentCloser, a *Conn or a
// *net.TCPConn: a layer whose Close may write would have its bytes thrown
// away by the reset, since the queues are checked before its Close runs.
// Any other wrapper is closed gracefully.
//
// A wrapper declares itself with an empty method:
//
//	func (c *myConn) KeepconnCloseWritesNothing() {}
//
// and must wrap through a NetConn() net.Conn method, as *tls.Conn does.
type SilentCloser interface {
	KeepconnCloseWritesNothing()
}

// layers walks c's NetConn() layers down to the TCP connection: the
// dialer's *Conn if there is one, the *net.TCPConn, and whether every
// layer above them is known to write nothing on Close.
func layers(c net.Conn) (kc *Conn, tc *net.TCPConn, silent bool) {
	silent = true
	netconn.Walk(c, func(l net.Conn) bool {
		switch v := l.(type) {
		case *Conn:
			kc, tc = v, v.tcpConn
			return false
		case *net.TCPConn:
			tc = v
			return false
		case SilentCloser:
			return true
		}
		silent = false
		return true
	})
	return kc, tc, silent && tc != nil
}

// CloseIdle closes an idle connection without leaving a TIME_WAIT when that
// loses nothing: if the connection is established, both its receive
// queue (bytes not read) and send queue (bytes not yet acknowledged) are
// empty, and no layer of c may write on Close (see SilentCloser), it
// closes abortively (SO_LINGER 0, an RST) and reports aborted. Otherwise
// it closes gracefully, so that every byte written reaches the peer (and
// with Config.AwaitPeerClose, lets the peer close first); a connection the
// peer already closed is closed gracefully too, since that close leaves no
// TIME_WAIT here anyway.
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
// With Config.AwaitPeerClose it waits for the outcome of a graceful close.
func CloseIdleSide(c net.Conn) (Side, error) {
	return closeSync(c, func(report func(Side)) error { return closeIdle(c, 0, false, report) })
}

// CloseSide closes c and says which side closed first, for any connection:
// a *Conn (counted by its Dialer), a *net.TCPConn, or a wrapper of either
// with a NetConn() net.Conn method. The side is read from the kernel's TCP
// state; where it cannot be read (not TCP, not Linux) it is SideActive,
// the side that keeps the TIME_WAIT. With Config.AwaitPeerClose it waits
// for the outcome; CloseConn does not.
func CloseSide(c net.Conn) (Side, error) {
	return closeSync(c, func(report func(Side)) error { return closeConn(c, 0, false, report) })
}

// closeSync runs a close that reports its side, maybe later, and waits for
// the side.
func closeSync(c net.Conn, run func(report func(Side)) error) (Side, error) {
	var side Side
	ch := make(chan struct{})
	err := run(func(s Side) { side = s; close(ch) })
	<-ch
	return side, err
}

// CloseConn closes c on behalf of an owner that knows why (a pool, a
// Transport): the close is counted with reason r by c's Dialer when c is,
// or wraps, a *Conn, and report, if not nil, is called exactly once with
// the side that closed first once that is known. report may run after
// CloseConn returns, from another goroutine, when the dialer waits for
// the peer to close first (Config.AwaitPeerClose); it must not block.
// A c that was closed before gets the side counted then (SideActive if
// that close is still pending).
func CloseConn(c net.Conn, r Reason, report func(Side)) error {
	return closeConn(c, r, true, report)
}

// CloseIdleConn is CloseConn for a connection at a protocol boundary: it
// closes as CloseIdle does (an RST when nothing is queued either way and
// no layer may write on Close).
func CloseIdleConn(c net.Conn, r Reason, report func(Side)) error {
	return closeIdle(c, r, true, report)
}

func closeConn(c net.Conn, r Reason, hasReason bool, report func(Side)) error {
	kc, tc, _ := layers(c)
	if kc != nil {
		return closeKeepconn(c, kc, r, hasReason, report)
	}
	side := SideActive
	var err error
	if tc != nil && net.Conn(tc) == c {
		side, err = closePlain(tc)
	} else {
		if tc != nil {
			side = sideOfPlain(tc)
		}
		err = c.Close()
	}
	if report != nil {
		report(side)
	}
	return err
}

// closeKeepconn closes c, which is or wraps kc, so that kc counts it with
// the owner's reason and calls report.
func closeKeepconn(c net.Conn, kc *Conn, r Reason, hasReason bool, report func(Side)) error {
	if kc.done.Load() {
		err := c.Close()
		if report != nil {
			report(kc.countedSide())
		}
		return err
	}
	if hasReason {
		kc.reason.Store(uint32(r) + 1)
	}
	kc.report = report
	err := c.Close()
	if !kc.done.Load() { // a wrapper whose Close did not reach kc
		if cerr := kc.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func closeIdle(c net.Conn, r Reason, hasReason bool, report func(Side)) error {
	kc, tc, silent := layers(c)
	if tc == nil {
		return closeConn(c, r, hasReason, report)
	}
	raw, err := tc.SyscallConn()
	if err != nil || (kc != nil && kc.done.Load()) {
		return closeConn(c, r, hasReason, report)
	}
	if !silent {
		discardUnread(raw)
		return closeConn(c, r, hasReason, report)
	}
	if !abortIfIdle(raw) {
		return closeConn(c, r, hasReason, report)
	}
	if kc != nil {
		kc.abort.Store(true)
		return closeKeepconn(c, kc, r, hasReason, report)
	}
	if err := tc.SetLinger(0); err != nil {
		return closeConn(c, r, hasReason, report)
	}
	err = c.Close()
	if report != nil {
		report(SideAbortive)
	}
	return err
}

// closePlain closes a *net.TCPConn of no Dialer and classifies the close
// exactly, as a Conn does.
func closePlain(tc *net.TCPConn) (Side, error) {
	raw, err := tc.SyscallConn()
	if err != nil {
		return SideActive, tc.Close()
	}
	p := getProbe()
	side := probeClose(p, raw, 0, nil, tc.LocalAddr(), tc.RemoteAddr())
	putProbe(p)
	return side, tc.Close()
}

// sideOfPlain reads the side of a close about to be made by a wrapper of
// tc: from what has come in now, since the wrapper may still write.
func sideOfPlain(tc *net.TCPConn) Side {
	raw, err := tc.SyscallConn()
	if err != nil {
		return SideActive
	}
	p := getProbe()
	defer putProbe(p)
	if err := p.Run(raw); err != nil {
		return SideActive
	}
	switch p.Peer {
	case sockopt.PeerData:
		return SideAbortive
	case sockopt.PeerEOF, sockopt.PeerGone:
		return SidePassive
	}
	return SideActive
}

// abortIfIdle reports whether an abortive close loses nothing. When it
// does not, it empties the receive queue so that the graceful close that
// follows really sends a FIN.
func abortIfIdle(raw syscall.RawConn) bool {
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

// discardUnread empties the receive queue, so that a graceful close is
// not turned into a reset.
func discardUnread(raw syscall.RawConn) {
	if unread, _, err := sockopt.Queues(raw); err == nil && unread > 0 {
		sockopt.DiscardUnread(raw, unread)
	}
}
