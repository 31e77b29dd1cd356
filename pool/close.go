package pool

import (
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// destruct is puddle's destructor: it closes c and counts the close by
// reason and side. A connection closed without a reason set by the pool
// was closed by Pool.Close.
func (p *Pool) destruct(c *Conn) {
	reason := telemetry.ReasonClosed
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
		telemetry.ReasonMaxLifetime, telemetry.ReasonClosed:
		return true
	}
	return false
}

// closeConn closes c and says which side closed first. Connections the
// pool evicts at a request boundary are closed with dialer.CloseIdleSide
// when AbortIdleClose is set: an RST, no TIME_WAIT, when nothing is queued.
func (p *Pool) closeConn(c *Conn, r telemetry.Reason) telemetry.Side {
	if p.cfg.AbortIdleClose && evicted(r) {
		side, _ := dialer.CloseIdleSide(c.nc)
		return side
	}
	side, _ := dialer.CloseSide(c.nc)
	return side
}
