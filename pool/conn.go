package pool

import (
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Conn is a connection acquired from a Pool. It is owned by one goroutine
// from Acquire until Release or Destroy; after either of them it must not
// be used. The pool hands the same *Conn to the next acquirer of the same
// connection (that is what makes Acquire allocation-free), so a stale
// pointer kept after Release refers to someone else's acquisition.
//
// Conn is not itself a net.Conn: closing belongs to the pool. Read, Write
// and the deadline setters are shortcuts for NetConn's.
type Conn struct {
	nc      net.Conn
	raw     syscall.RawConn // for the liveness check; nil if nc has none
	p       *Pool
	res     *puddle.Resource[*Conn]
	created time.Time
	expiry  int64 // pool clock; 0: no lifetime limit

	lastUsed  int64        // coarse clock at dial and Release (usesClock only); puddle's lock orders it
	idleSince atomic.Int64 // lastUsed while idle, 0 while acquired (trackIdle only): read by maintenance
	expired   atomic.Bool  // set by maintenance once expiry has passed
	reuses    atomic.Int64 // acquisitions but the first, or all of them for a connection dialed ahead for MinIdle
	freshUse  atomic.Bool  // handed out once, not dialed ahead for MinIdle

	held        bool // between Acquire and Release or Destroy
	fresh       bool // dialed for an Acquire (not for MinIdle) and not yet handed out
	inIdle      bool // counted in Pool.idle (capIdle only)
	deadlineSet bool // a deadline was set through Conn: cleared at Release
	reason      telemetry.Reason
	reasonSet   bool
	value       any

	peek    func(fd uintptr) // bound once: the check allocates nothing
	peekN   int
	peekErr error
	peekBuf [1]byte
}

func (p *Pool) newConn(nc net.Conn, warm bool) *Conn {
	c := &Conn{nc: nc, p: p, created: time.Now(), fresh: !warm}
	if sc, ok := nc.(syscall.Conn); ok && livenessSupported {
		c.raw, _ = sc.SyscallConn()
	}
	c.peek = c.peekFD
	c.lastUsed = p.clockNow() // idle from its dial, should its acquirer leave
	if lt := p.cfg.MaxLifetime; lt > 0 {
		if j := p.cfg.MaxLifetimeJitter; j > 0 {
			lt += time.Duration(rand.Int64N(int64(j) + 1))
		}
		c.expiry = preciseNow() + int64(lt)
	}
	return c
}

// NetConn returns the connection itself. Do not close it: Release or
// Destroy the Conn instead.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Read reads from the connection.
func (c *Conn) Read(b []byte) (int, error) { return c.nc.Read(b) }

// Write writes to the connection.
func (c *Conn) Write(b []byte) (int, error) { return c.nc.Write(b) }

// SetDeadline sets the read and write deadlines; Release clears them.
func (c *Conn) SetDeadline(t time.Time) error {
	c.deadlineSet = true
	return c.nc.SetDeadline(t)
}

// SetReadDeadline sets the read deadline; Release clears it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.deadlineSet = true
	return c.nc.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline; Release clears it.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.deadlineSet = true
	return c.nc.SetWriteDeadline(t)
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// CreatedAt returns when the connection was dialed.
func (c *Conn) CreatedAt() time.Time { return c.created }

// Value returns what SetValue stored with the connection, or nil.
func (c *Conn) Value() any { return c.value }

// SetValue stores v with the connection for its whole life, across
// acquisitions: per-connection protocol state such as a *bufio.Reader. The
// liveness check sees only the socket, not bytes buffered in such a value.
func (c *Conn) SetValue(v any) { c.value = v }

// Release gives the connection back to the pool for reuse. The caller
// must have left it at a request boundary: nothing unread, nothing half
// written. Release does not block. A connection past its lifetime, or one
// beyond MaxIdle, is closed instead. Calling Release or Destroy again
// before the next Acquire does nothing.
func (c *Conn) Release() {
	if !c.held {
		return
	}
	c.held = false
	if c.deadlineSet {
		c.deadlineSet = false
		c.nc.SetDeadline(time.Time{})
	}
	p := c.p
	switch {
	case c.expired.Load():
		c.destroy(telemetry.ReasonMaxLifetime)
	case p.capIdle && !p.enterIdle(c):
		c.destroy(telemetry.ReasonMaxIdle)
	default:
		c.markIdle()
		c.res.Release()
	}
}

// Destroy closes the connection instead of returning it, because the
// caller saw it broken (an I/O error, a timeout in mid-message, a protocol
// error); it is counted in Stats.BrokenClosed. The close happens in the
// background; Destroy does not block. Calling Release or Destroy again
// before the next Acquire does nothing.
func (c *Conn) Destroy() {
	if !c.held {
		return
	}
	c.held = false
	c.destroy(telemetry.ReasonBroken)
}

// destroy hands the acquired connection to puddle for closing with reason.
func (c *Conn) destroy(r telemetry.Reason) {
	c.reason, c.reasonSet = r, true
	c.res.Destroy()
}

// markIdle stamps c with the coarse clock as it goes idle, for the
// liveness check's threshold and, with IdleTimeout, for maintenance.
func (c *Conn) markIdle() {
	c.lastUsed = c.p.clockNow()
	if c.p.trackIdle {
		c.idleSince.Store(c.lastUsed)
	}
}

// usage returns how often c was handed out. Both counters only grow, so
// no total made of them ever decreases, and reused never exceeds acquires.
func (c *Conn) usage() usage {
	reused := c.reuses.Load()
	acquires := reused
	if c.freshUse.Load() {
		acquires++
	}
	return usage{acquires: acquires, reused: reused}
}

// enterIdle counts c as idle if that stays within MaxIdle.
func (p *Pool) enterIdle(c *Conn) bool {
	if p.idle.Add(1) > int64(p.cfg.MaxIdle) {
		p.idle.Add(-1)
		return false
	}
	c.inIdle = true
	return true
}

// leaveIdle uncounts c as idle.
func (p *Pool) leaveIdle(c *Conn) {
	if c.inIdle {
		c.inIdle = false
		p.idle.Add(-1)
	}
}
