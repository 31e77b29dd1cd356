package pool

import (
	"net"
	"syscall"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// destruct is puddle's destructor: it closes c and counts the close by
// reason and side. A connection closed without a reason set by the pool
// was closed by Pool.Close.
func (p *Pool) destruct(c *Conn) {
	reason := telemetry.ReasonPoolClosed
	if c.reasonSet {
		reason = c.reason
	}
	p.leaveIdle(c)
	side := p.closeConn(c, reason)
	p.count.closes.Add(reason, side)
	p.reg.remove(c)
	p.signalMaintenance()
}

// evicted reports whether the pool closes a connection for a reason of its
// own while the connection sits at a request boundary.
func evicted(r telemetry.Reason) bool {
	switch r {
	case telemetry.ReasonMaxIdle, telemetry.ReasonMaxIdleTime,
		telemetry.ReasonMaxLifetime, telemetry.ReasonPoolClosed:
		return true
	}
	return false
}

// closeConn closes c and says which side closed first.
func (p *Pool) closeConn(c *Conn, r telemetry.Reason) telemetry.Side {
	if p.cfg.AbortIdleClose && evicted(r) {
		side := sideBeforeClose(c.nc)
		if aborted, _ := dialer.CloseIdle(c.nc); aborted {
			return telemetry.SideAbortive
		}
		return side
	}
	if dc, ok := c.nc.(*dialer.Conn); ok {
		side, _ := dc.CloseSide()
		return side
	}
	side := sideBeforeClose(c.nc)
	c.nc.Close()
	return side
}

// sideBeforeClose reads the TCP state of a connection about to be closed:
// CLOSE_WAIT (the peer sent its FIN), LAST_ACK or CLOSE (reset) make the
// close passive; anything else, or an unknown state, counts as active.
func sideBeforeClose(nc net.Conn) telemetry.Side {
	for range 8 {
		if sc, ok := nc.(syscall.Conn); ok {
			raw, err := sc.SyscallConn()
			if err != nil {
				return telemetry.SideActive
			}
			state, err := sockopt.State(raw)
			if err != nil { // unknown (or not Linux): assume the TIME_WAIT is ours
				return telemetry.SideActive
			}
			switch state {
			case sockopt.StateCloseWait, sockopt.StateLastAck, sockopt.StateClose:
				return telemetry.SidePassive
			}
			return telemetry.SideActive
		}
		w, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		nc = w.NetConn()
	}
	return telemetry.SideActive
}
