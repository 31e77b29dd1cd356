package pool

import (
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// destruct is puddle's destructor: it closes c and counts the close. A
// connection closed without a reason set by the pool was closed by
// Pool.Close.
func (p *Pool) destruct(c *conn) {
	reason := telemetry.ReasonClosed
	if c.reasonSet {
		reason = c.reason
	}
	p.leaveIdle(c)
	p.closeConn(c, reason)
	p.forget(c)
	p.signalMaintenance()
}

// forget drops a closed connection from the books.
func (p *Pool) forget(c *conn) {
	p.reg.remove(c)
	p.slots.Add(-1)
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

// closeConn closes c through the dialer, which counts the pool's reason
// when c is one of its connections, and counts the close by reason and
// side once the side is known: c.closed may run later, from another
// goroutine, when the dialer waits for the peer to close first. Close
// waits for those reports. Connections the pool evicts at a request
// boundary are closed with dialer.CloseIdleConn when AbortIdleClose is
// set: an RST, no TIME_WAIT, when nothing is queued.
func (p *Pool) closeConn(c *conn, r telemetry.Reason) {
	c.reason, c.reasonSet = r, true
	p.reports.Add(1)
	if p.cfg.AbortIdleClose && evicted(r) {
		dialer.CloseIdleConn(c.nc, r, c.report)
		return
	}
	dialer.CloseConn(c.nc, r, c.report)
}

// closed is c's report: it counts the close once its side is known.
func (c *conn) closed(side telemetry.Side) {
	c.p.count.closes.Add(c.reason, side)
	c.p.reports.Done()
}
