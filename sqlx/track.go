package sqlx

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// tracker counts a Connector's connections: dials and closes by reason
// and side.
type tracker struct {
	dials         telemetry.Dials
	closes        telemetry.Closes
	connectErrors atomic.Int64
	// claimed counts, per claimKind, the closes attributed to database/sql's
	// own counters, so that each of its increments explains one close.
	claimed [claimKinds]atomic.Int64
	// onClose, if set, sees every close (tests, the advisor).
	onClose atomic.Pointer[func(telemetry.Reason, telemetry.Side)]
}

func newTracker() *tracker { return &tracker{} }

func (t *tracker) closed(r telemetry.Reason, s telemetry.Side) {
	t.closes.Add(r, s)
	if f := t.onClose.Load(); f != nil {
		(*f)(r, s)
	}
}

// slot collects the connections the driver dials during one Connect.
type slot struct {
	tr    *tracker
	mu    sync.Mutex
	conns []*trackedConn
}

func (s *slot) track(c net.Conn) *trackedConn {
	s.tr.dials.Opened()
	tc := &trackedConn{Conn: c, tr: s.tr}
	if sc, ok := c.(syscall.Conn); ok {
		tc.raw, _ = sc.SyscallConn()
	}
	s.mu.Lock()
	s.conns = append(s.conns, tc)
	s.mu.Unlock()
	return tc
}

// live returns the connection that is still open, the one the driver
// uses (a driver that retried a dial closed the earlier ones).
func (s *slot) live() *trackedConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.conns) - 1; i >= 0; i-- {
		if !s.conns[i].done.Load() {
			return s.conns[i]
		}
	}
	return nil
}

// trackedConn is the net.Conn the driver writes to. Its Close, called by
// the driver after its goodbye, closes through dialer.CloseConn with the
// reason the owner set, and counts the side once the dialer reports it.
type trackedConn struct {
	net.Conn
	raw    syscall.RawConn
	tr     *tracker
	reason atomic.Uint32 // reason+1; 0: none given
	done   atomic.Bool
}

var (
	_ syscall.Conn                    = (*trackedConn)(nil)
	_ interface{ NetConn() net.Conn } = (*trackedConn)(nil)
)

// SyscallConn exposes the socket: go-sql-driver/mysql checks a connection
// before reuse only through it.
func (c *trackedConn) SyscallConn() (syscall.RawConn, error) {
	if c.raw == nil {
		return nil, syscall.EINVAL
	}
	return c.raw, nil
}

// NetConn returns the dialer's connection.
func (c *trackedConn) NetConn() net.Conn { return c.Conn }

func (c *trackedConn) setReason(r telemetry.Reason) { c.reason.Store(uint32(r) + 1) }

// Close closes the connection once, counting it.
func (c *trackedConn) Close() error {
	if !c.done.CompareAndSwap(false, true) {
		return c.Conn.Close()
	}
	var r telemetry.Reason
	if v := c.reason.Load(); v != 0 {
		r = telemetry.Reason(v - 1)
	} else {
		r = c.unexplainedReason() // the driver closed it on its own
	}
	return dialer.CloseConn(c.Conn, r, func(s dialer.Side) { c.tr.closed(r, s) })
}

// unexplainedReason is the reason of a close nobody explained, typically
// after driver.ErrBadConn: PeerClosed if the server has closed or reset
// the connection, else BrokenClosed. sqlx reads it before the driver's
// Close says goodbye (PostgreSQL's Terminate, MySQL's COM_QUIT): read at
// the socket's close, the server's answer to that goodbye would look like
// a server that had closed first.
func (c *trackedConn) unexplainedReason() telemetry.Reason {
	if c.peerGone() {
		return telemetry.ReasonPeerClosed
	}
	return telemetry.ReasonBroken
}

// peerGone reports whether the server closed or reset the connection,
// from the kernel's TCP state.
func (c *trackedConn) peerGone() bool {
	if c.raw == nil {
		return false
	}
	state, err := sockopt.State(c.raw)
	if err != nil {
		return false
	}
	return state != sockopt.StateEstablished
}

// suspect reports whether an idle connection must not be reused: the
// server closed or reset it, or sent bytes nobody asked for.
func (c *trackedConn) suspect() bool {
	if c.raw == nil {
		return false
	}
	state, unread, err := sockopt.StateAndUnread(c.raw)
	if err != nil {
		return false
	}
	return state != sockopt.StateEstablished || unread > 0
}
