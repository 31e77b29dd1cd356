package dialer

import (
	"net"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Side says which end of a connection closed it first, and so which host
// keeps the TIME_WAIT entry for its 4-tuple.
type Side = telemetry.Side

const (
	// SideActive: this host closed first and holds a TIME_WAIT for 60 s.
	SideActive = telemetry.SideActive
	// SidePassive: the peer closed first (or the connection was already
	// gone); no TIME_WAIT here.
	SidePassive = telemetry.SidePassive
	// SideAbortive: closed with an RST (SO_LINGER 0); no TIME_WAIT anywhere.
	SideAbortive = telemetry.SideAbortive
)

// tcpConn lets Conn embed *net.TCPConn under an unexported field name, so
// every method of the TCP connection is promoted but Close is our own.
type tcpConn = net.TCPConn

// Conn is a TCP connection made by a Dialer. It behaves as the
// *net.TCPConn it wraps (syscall.Conn, CloseWrite, CloseRead, ReadFrom,
// deadlines…); only Close differs: it classifies the close before making
// it, and the Dialer counts it.
type Conn struct {
	*tcpConn
	d       *Dialer
	raw     syscall.RawConn
	abort   atomic.Bool // the next close resets (CloseIdle, CloseAbortive)
	sentFIN atomic.Bool // CloseWrite was called: our FIN went first
	done    atomic.Bool
	side    atomic.Uint32 // the side counted at close
	reason  atomic.Uint32 // reason+1 given by the owner (CloseConn); 0: none
}

// Reason says why a connection was closed; see keepconn.Reason.
type Reason = telemetry.Reason

// setReason records why the owner closes c, for the dialer's counts.
func (c *Conn) setReason(r Reason) { c.reason.Store(uint32(r) + 1) }

// closeReason is the reason the owner gave, else ReasonClosed, or
// ReasonPeerClosed when the peer closed first.
func (c *Conn) closeReason(side Side) Reason {
	if r := c.reason.Load(); r != 0 {
		return Reason(r - 1)
	}
	if side == SidePassive {
		return telemetry.ReasonPeerClosed
	}
	return telemetry.ReasonClosed
}

var (
	_ net.Conn                        = (*Conn)(nil)
	_ syscall.Conn                    = (*Conn)(nil)
	_ interface{ CloseWrite() error } = (*Conn)(nil)
)

func newConn(tc *net.TCPConn, d *Dialer) *Conn {
	raw, _ := tc.SyscallConn()
	return &Conn{tcpConn: tc, d: d, raw: raw}
}

// CloseWrite shuts down the writing side (sends a FIN) and remembers that
// this side's FIN went first, so a later Close is counted as active.
func (c *Conn) CloseWrite() error {
	c.sentFIN.Store(true)
	return c.tcpConn.CloseWrite()
}

// NetConn returns the underlying *net.TCPConn. Closing it directly bypasses
// the dialer's close accounting.
func (c *Conn) NetConn() net.Conn { return c.tcpConn }

// Close closes the connection and counts it by side. Calling Close again
// returns the error of closing a closed connection and counts nothing.
func (c *Conn) Close() error {
	_, err := c.CloseSide()
	return err
}

// CloseSide closes the connection like Close and also says which side
// closed first: SideActive means a TIME_WAIT now sits on this host.
func (c *Conn) CloseSide() (Side, error) {
	if !c.done.CompareAndSwap(false, true) {
		return SideActive, c.tcpConn.Close()
	}
	if c.d.cfg.Close == CloseAbortive && !c.abort.Load() && abortIfIdle(c.tcpConn) {
		c.abort.Store(true)
	}
	side := c.sideOfClose()
	if side == SideAbortive {
		c.tcpConn.SetLinger(0)
	}
	err := c.tcpConn.Close()
	c.side.Store(uint32(side))
	c.d.closes.Add(c.closeReason(side), side)
	return side, err
}

// sideOfClose says how the close about to be made ends the connection.
func (c *Conn) sideOfClose() Side {
	if c.abort.Load() {
		return SideAbortive
	}
	if c.raw == nil {
		return SideActive
	}
	return classify(c.raw, c.sentFIN.Load())
}

// classify reads the TCP state before a close: CLOSE_WAIT (the peer sent
// its FIN) means the close is passive; ESTABLISHED means this side closes
// first. Unread bytes make the kernel reset instead of closing: abortive.
// sentFIN says this side half-closed earlier: a socket already in CLOSE
// then left its TIME_WAIT here.
func classify(raw syscall.RawConn, sentFIN bool) Side {
	state, unread, err := sockopt.StateAndUnread(raw)
	if err != nil {
		return SideActive // unknown: assume the TIME_WAIT is ours
	}
	if sentFIN && state == sockopt.StateClose {
		return SideActive
	}
	if side := sideOfState(state); side != SideActive || unread == 0 {
		return side
	}
	return SideAbortive
}

func sideOfState(state uint8) Side {
	switch state {
	case sockopt.StateCloseWait, sockopt.StateLastAck, sockopt.StateClose:
		return SidePassive
	}
	return SideActive
}
