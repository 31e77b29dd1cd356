package pool

import (
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// ErrReleased is returned by the I/O methods of a Conn whose acquisition
// has ended (Release or Destroy was called on it, or a copy of it).
var ErrReleased = errors.New("keepconn/pool: use of a released connection")

// Conn is one acquisition of a pooled connection: the handle Acquire
// returns. It is a small value; copies of it are the same acquisition.
// The zero Conn is not an acquisition.
//
// Exactly one call of Release or Destroy ends the acquisition, after which
// the handle is stale: its I/O methods return ErrReleased, and a second
// Release or Destroy panics, as puddle's do, rather than give back a socket
// that the pool may meanwhile have handed to another goroutine. Each
// acquisition carries its own generation number, checked against the
// connection's, so a stale handle can never reach a later acquisition of
// the same socket; the check costs no allocation.
//
// Conn is not itself a net.Conn: closing belongs to the pool. Read, Write
// and the deadline setters are shortcuts for NetConn's.
type Conn struct {
	c   *conn
	gen uint64
}

// conn is one pooled connection: the socket and the pool's bookkeeping.
type conn struct {
	nc      net.Conn
	raw     syscall.RawConn // for the liveness checks; nil if nc has none
	p       *Pool
	res     *puddle.Resource[*conn]
	created time.Time
	expiry  int64 // pool clock; 0: no lifetime limit

	gen       uint64       // odd while acquired: the generation of the handle out
	lastUsed  int64        // coarse clock at dial and Release (usesClock only); puddle's lock orders it
	idleSince atomic.Int64 // lastUsed while idle, 0 while acquired (trackIdle only): read by maintenance
	expired   atomic.Bool  // set by maintenance once expiry has passed
	uses      atomic.Int64 // acquisitions so far

	inIdle      bool // counted in Pool.idle (capIdle only)
	deadlineSet bool // a deadline was set through Conn: cleared at Release
	reason      telemetry.Reason
	reasonSet   bool
	value       any
	report      func(telemetry.Side) // bound once: counts the close's side

	ps probeState // the owner's liveness check (Acquire, Destroy, sweeps)
	bg probeState // the background health check's own, beside the owner's
}

func (p *Pool) newConn(nc net.Conn) *conn {
	c := &conn{nc: nc, p: p, created: time.Now()}
	if sc, ok := nc.(syscall.Conn); ok && livenessSupported {
		c.raw, _ = sc.SyscallConn()
	}
	c.ps.init()
	c.bg.init()
	c.report = c.closed
	c.lastUsed = p.clockNow() // idle from its dial, should its acquirer leave
	if lt := p.cfg.MaxLifetime; lt > 0 {
		c.expiry = satAdd(preciseNow(), satAdd(int64(lt), jitter(p.cfg.MaxLifetimeJitter)))
	}
	return c
}

// jitter returns a random duration in [0, j].
func jitter(j time.Duration) int64 {
	switch {
	case j <= 0:
		return 0
	case j == math.MaxInt64:
		return rand.Int64()
	}
	return rand.Int64N(int64(j) + 1)
}

// own returns the connection of an acquisition that has not ended, and
// panics otherwise: op is the method called.
func (h Conn) own(op string) *conn {
	if h.c == nil || h.c.gen != h.gen {
		panic("keepconn/pool: " + op + " of a Conn that was already released or destroyed, or never acquired")
	}
	return h.c
}

// live returns the connection, or nil if the acquisition has ended.
func (h Conn) live() *conn {
	if h.c == nil || h.c.gen != h.gen {
		return nil
	}
	return h.c
}

// NetConn returns the connection itself, or nil once the acquisition has
// ended. Do not close it, and do not keep it past Release: Release or
// Destroy the Conn instead. Deadlines set on it directly survive Release
// (only those set through the Conn are cleared, which costs nothing when
// none was set): clear them before Release, or set them through the Conn.
func (h Conn) NetConn() net.Conn {
	if c := h.live(); c != nil {
		return c.nc
	}
	return nil
}

// Read reads from the connection.
func (h Conn) Read(b []byte) (int, error) {
	if c := h.live(); c != nil {
		return c.nc.Read(b)
	}
	return 0, ErrReleased
}

// Write writes to the connection.
func (h Conn) Write(b []byte) (int, error) {
	if c := h.live(); c != nil {
		return c.nc.Write(b)
	}
	return 0, ErrReleased
}

// SetDeadline sets the read and write deadlines; Release clears them.
func (h Conn) SetDeadline(t time.Time) error {
	c := h.live()
	if c == nil {
		return ErrReleased
	}
	c.deadlineSet = true
	return c.nc.SetDeadline(t)
}

// SetReadDeadline sets the read deadline; Release clears it.
func (h Conn) SetReadDeadline(t time.Time) error {
	c := h.live()
	if c == nil {
		return ErrReleased
	}
	c.deadlineSet = true
	return c.nc.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline; Release clears it.
func (h Conn) SetWriteDeadline(t time.Time) error {
	c := h.live()
	if c == nil {
		return ErrReleased
	}
	c.deadlineSet = true
	return c.nc.SetWriteDeadline(t)
}

// LocalAddr returns the local network address, nil for the zero Conn.
func (h Conn) LocalAddr() net.Addr {
	if h.c == nil {
		return nil
	}
	return h.c.nc.LocalAddr()
}

// RemoteAddr returns the remote network address, nil for the zero Conn.
func (h Conn) RemoteAddr() net.Addr {
	if h.c == nil {
		return nil
	}
	return h.c.nc.RemoteAddr()
}

// CreatedAt returns when the connection was dialed; zero for the zero Conn.
func (h Conn) CreatedAt() time.Time {
	if h.c == nil {
		return time.Time{}
	}
	return h.c.created
}

// Value returns what SetValue stored with the connection, or nil (also
// once the acquisition has ended).
func (h Conn) Value() any {
	if c := h.live(); c != nil {
		return c.value
	}
	return nil
}

// SetValue stores v with the connection for its whole life, across
// acquisitions: per-connection protocol state such as a *bufio.Reader.
// Such state must wrap NetConn(), not the Conn, which is one acquisition
// and fails with ErrReleased once that has ended. The liveness check sees
// only the socket, not bytes buffered in such a value. Once the
// acquisition has ended SetValue does nothing.
func (h Conn) SetValue(v any) {
	if c := h.live(); c != nil {
		c.value = v
	}
}

// Release ends the acquisition and gives the connection back to the pool
// for reuse. The caller must have left it at a request boundary: nothing
// unread, nothing half written. Release does not block. A connection past
// its lifetime, or one beyond MaxIdle, is closed instead. Release panics
// if the acquisition has already ended.
func (h Conn) Release() {
	c := h.own("Release")
	c.gen++
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
		c.res.ReleaseUnused() // puddle's idle stamp is unused: keepconn keeps its own
	}
}

// Destroy ends the acquisition and closes the connection instead of
// returning it, because the caller saw it broken (an I/O error, a timeout
// in mid-message, a protocol error). If the peer had closed or reset it,
// it is counted in Stats.PeerClosed, otherwise in Stats.BrokenClosed. The
// close happens in the background; Destroy does not block. Destroy panics
// if the acquisition has already ended.
func (h Conn) Destroy() {
	c := h.own("Destroy")
	c.gen++
	r := telemetry.ReasonBroken
	if c.raw != nil && c.probe() == probeClosed {
		r = telemetry.ReasonPeerClosed
	}
	c.destroy(r)
}

// destroy hands the acquired connection to puddle for closing with reason.
func (c *conn) destroy(r telemetry.Reason) {
	c.reason, c.reasonSet = r, true
	c.res.Destroy()
}

// markIdle stamps c with the coarse clock as it goes idle, for the
// liveness check's threshold and, with IdleTimeout, for maintenance.
func (c *conn) markIdle() {
	c.lastUsed = c.p.clockNow()
	if c.p.trackIdle {
		c.idleSince.Store(c.lastUsed)
	}
}

// usage returns how often c was handed out: every acquisition but the
// first is a reuse. Both only grow.
func (c *conn) usage() usage {
	n := c.uses.Load()
	return usage{acquires: n, reused: max(n-1, 0)}
}

// enterIdle counts c as idle if that stays within MaxIdle.
func (p *Pool) enterIdle(c *conn) bool {
	if p.idle.Add(1) > int64(p.cfg.MaxIdle) {
		p.idle.Add(-1)
		return false
	}
	c.inIdle = true
	return true
}

// leaveIdle uncounts c as idle.
func (p *Pool) leaveIdle(c *conn) {
	if c.inIdle {
		c.inIdle = false
		p.idle.Add(-1)
	}
}
