package dialer

import (
	"net"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Side says which end of a connection closed it first, and so which host
// keeps the TIME_WAIT entry for its 4-tuple; see keepconn.Side.
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

// Reason says why a connection was closed; see keepconn.Reason.
type Reason = telemetry.Reason

// tcpConn lets Conn embed *net.TCPConn under an unexported field name, so
// every method of the TCP connection is promoted but Close is our own.
type tcpConn = net.TCPConn

// Conn is a TCP connection made by a Dialer. It behaves as the
// *net.TCPConn it wraps (syscall.Conn, CloseRead, ReadFrom, deadlines…);
// Close and CloseWrite differ: they classify the close, and the Dialer
// counts it; so do the SetKeepAlive methods, which first switch on the
// dialer's keepalive if it is still waiting (see Config.KeepAlive). Close, CloseSide and CloseWrite must not run concurrently
// with each other; Read and Write may run concurrently with Close, as on
// any net.Conn, and return net.ErrClosed once it is called.
type Conn struct {
	*tcpConn
	d       *Dialer
	raw     syscall.RawConn
	dest    *destination
	claimed bool          // dialed under telemetry.Claim: out of the dialer's metrics
	abort   atomic.Bool   // the next close resets (CloseIdle, CloseAbortive)
	half    atomic.Uint32 // side+1 decided by CloseWrite; 0: not half-closed
	done    atomic.Bool   // Close was called
	side    atomic.Uint32 // side+1 once the close is counted; 0: not yet
	reason  atomic.Uint32 // reason+1 given by the owner (CloseConn); 0: none
	report  func(Side)    // the owner's callback (CloseConn), set before Close
	// writeFailed: a Write or ReadFrom returned an error, so the stream may
	// end inside a message, which a Farewell must not complete.
	writeFailed atomic.Bool
	io          ioTrack // what the reads and writes have seen (conn_io.go)
	ka          kaLink  // waiting for keepalive (keepalive.go); guarded by d.keepAlive.mu
}

var (
	_ net.Conn                        = (*Conn)(nil)
	_ syscall.Conn                    = (*Conn)(nil)
	_ interface{ CloseWrite() error } = (*Conn)(nil)
	_ SilentCloser                    = (*Conn)(nil)
)

func newConn(tc *net.TCPConn, d *Dialer, dest *destination, claimed bool) *Conn {
	raw, _ := tc.SyscallConn()
	return &Conn{tcpConn: tc, d: d, raw: raw, dest: dest, claimed: claimed}
}

// KeepconnCloseWritesNothing marks Conn as a SilentCloser: its Close
// writes no byte of its own (a Farewell is written only on the graceful
// path, which CloseIdle never resets).
func (c *Conn) KeepconnCloseWritesNothing() {}

// NetConn returns the underlying *net.TCPConn. Closing it directly bypasses
// the dialer's close accounting.
func (c *Conn) NetConn() net.Conn { return c.tcpConn }

// CloseWrite shuts down the writing side (sends a FIN) and records who
// closed first at that moment: if the peer's FIN had come already, the
// later Close is passive; if this FIN went first, it is active.
func (c *Conn) CloseWrite() error {
	if c.half.Load() != 0 || c.done.Load() {
		return c.tcpConn.CloseWrite()
	}
	state, err := sockopt.State(c.raw)
	if err != nil || state != sockopt.StateEstablished {
		side := SideActive
		if err == nil && sockopt.PeerClosed(state) {
			side = SidePassive
		}
		c.half.Store(uint32(side) + 1)
		return c.tcpConn.CloseWrite()
	}
	side, err := shutdownSide(c.raw, c.tcpConn.CloseWrite, &c.d.looker, c.LocalAddr(), c.RemoteAddr())
	c.half.Store(uint32(side) + 1)
	return err
}

// Close closes the connection. The close is counted by side and reason
// once its outcome is known. With Config.AwaitPeerClose it returns at once
// and the socket waits in the background for the peer to close first (see
// Config.AwaitPeerClose). Calling Close again returns the error of closing
// a closed connection and counts nothing.
func (c *Conn) Close() error {
	if !c.done.CompareAndSwap(false, true) {
		return c.tcpConn.Close()
	}
	return c.closeFirst()
}

// CloseSide closes the connection like Close and also says which side
// closed first: SideActive means a TIME_WAIT now sits on this host. With
// Config.AwaitPeerClose it waits for the outcome, up to that long.
func (c *Conn) CloseSide() (Side, error) {
	if c.done.Load() {
		return c.countedSide(), c.tcpConn.Close()
	}
	if !c.d.awaits.on() {
		err := c.Close()
		return c.countedSide(), err
	}
	ch := make(chan Side, 1)
	prev := c.report
	c.report = func(s Side) {
		if prev != nil {
			prev(s)
		}
		ch <- s
	}
	err := c.Close()
	return <-ch, err
}

// countedSide is the side counted at close, or SideActive before.
func (c *Conn) countedSide() Side {
	if s := c.side.Load(); s != 0 {
		return Side(s - 1)
	}
	return SideActive
}

// reasonFor is the reason the owner gave, else ReasonPeerClosed when the
// peer closed first (state is the TCP state read before closing), else
// ReasonClosed.
func (c *Conn) reasonFor(state uint8) Reason {
	if r := c.reason.Load(); r != 0 {
		return Reason(r - 1)
	}
	if sockopt.PeerClosed(state) {
		return telemetry.ReasonPeerClosed
	}
	return telemetry.ReasonClosed
}

// closeFirst makes the one real close: at once, or handed to a background
// wait for the peer's FIN.
func (c *Conn) closeFirst() error {
	c.d.keepAlive.take(c)
	report, half := c.report, c.half.Load()
	if c.abort.Load() || (c.d.cfg.Close == CloseAbortive && half == 0 && abortIfIdle(c.raw)) {
		c.tcpConn.SetLinger(0)
		err := c.tcpConn.Close()
		c.finish(SideAbortive, c.reasonFor(sockopt.StateEstablished), report)
		return err
	}
	if half == 0 && c.io.peerFIN.Load() {
		err := c.tcpConn.Close() // a Read saw the FIN: passive, nothing unread
		c.finish(SidePassive, c.reasonOfSide(SidePassive), report)
		return err
	}
	if half == 0 && c.d.awaits.on() {
		if started, err := c.tryAwait(report); started {
			return err
		}
	}
	p := getProbe()
	c.io.prepare(p, c.dest.lean.peekFirst())
	side := probeClose(p, c.raw, half, &c.d.looker, c.LocalAddr(), c.RemoteAddr())
	putProbe(p)
	err := c.tcpConn.Close()
	c.finish(side, c.reasonOfSide(side), report)
	return err
}

// reasonOfSide is reasonFor the state a close of that side was found in.
func (c *Conn) reasonOfSide(side Side) Reason {
	if side == SidePassive {
		return c.reasonFor(sockopt.StateCloseWait)
	}
	return c.reasonFor(sockopt.StateEstablished)
}

// tryAwait starts the wait for the peer's FIN when the peer has not closed
// yet, duplicating the descriptor in the same pass as the probe. Unread
// bytes are left to the wait, which drops them: closing the application's
// descriptor alone sends nothing, so they cause no reset.
func (c *Conn) tryAwait(report func(Side)) (bool, error) {
	p := getProbe()
	defer putProbe(p)
	p.Shutdown, p.Dup = false, true
	err := p.Run(c.raw)
	if p.DupFD < 0 {
		return false, nil
	}
	if err != nil || (p.Peer != sockopt.PeerOpen && p.Peer != sockopt.PeerData) {
		sockopt.CloseFD(p.DupFD)
		return false, nil
	}
	return c.startAwait(p.DupFD, c.reasonFor(sockopt.StateEstablished), report)
}

// finish counts the close and tells the owner.
func (c *Conn) finish(side Side, r Reason, report func(Side)) {
	c.side.Store(uint32(side) + 1)
	c.dest.lean.note(side)
	c.d.closes.Add(r, side)
	if !c.claimed {
		c.dest.close.Add(r, side)
	}
	c.dest.release()
	if report != nil {
		report(side)
	}
}
