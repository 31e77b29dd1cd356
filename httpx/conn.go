package httpx

import (
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/netconn"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// conn is a connection the Transport dialed. It knows its destination's
// counters, how many requests use it now, and why it is being closed, so
// that every close is counted once by reason and once by side.
type conn struct {
	net.Conn
	t        *Transport
	h        *hostStats
	born     time.Time // with its monotonic reading
	inflight atomic.Int32
	served   atomic.Int64 // acquisitions served, this one included
	mark     atomic.Int32 // a reason the Transport recorded: see markReason
	expired  atomic.Bool  // older than its lifetime
	h2       atomic.Bool  // speaks HTTP/2: requests share it
	closed   atomic.Bool
	// goodbye holds, once a TLS goodbye began, whether the peer had
	// closed first at that moment (see SetWriteDeadline): goodbyeSeen or
	// goodbyeSeen|goodbyePeerFirst; 0 before.
	goodbye  atomic.Uint32
	lifetime *time.Timer   // nil without MaxConnLifetime
	life     time.Duration // its lifetime, jitter included
}

// The goodbye field's bits.
const (
	goodbyeSeen = 1 << iota
	goodbyePeerFirst
)

// Marks: reason+1 in the low byte; strong marks are kept whatever the
// kernel says of the side, weak ones yield to a peer that closed first.
const strongMark = 1 << 8

var (
	_ net.Conn      = (*conn)(nil)
	_ io.ReaderFrom = (*conn)(nil)
)

func newConn(t *Transport, h *hostStats, nc net.Conn) *conn {
	c := &conn{Conn: nc, t: t, h: h, born: time.Now()}
	if life := t.cfg.MaxConnLifetime; life > 0 {
		if j := t.cfg.MaxConnLifetimeJitter; j > 0 {
			life = addSat(life, rand.N(j))
		}
		c.life = life
		c.lifetime = time.AfterFunc(life, c.expire)
	}
	return c
}

// NetConn returns the wrapped connection, for dialer.CloseIdle and
// anything else that unwraps connections.
func (c *conn) NetConn() net.Conn { return c.Conn }

// ReadFrom lets uploads use the wrapped connection's ReadFrom (sendfile,
// splice for a *net.TCPConn).
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

type writerOnly struct{ io.Writer }

// SetWriteDeadline sets the wrapped connection's write deadline. Over
// HTTP/1 only tls.Conn.Close calls it: right before it writes its
// close_notify, and again right after. A server that answers that
// goodbye closes at once, so the first call is where the close's
// evidence of a peer that closed first is read, before the goodbye.
// (HTTP/2 may set write deadlines per frame; its closes read the evidence
// at Close.)
func (c *conn) SetWriteDeadline(t time.Time) error {
	if !c.h2.Load() && !c.closed.Load() && c.goodbye.Load() == 0 {
		v := uint32(goodbyeSeen)
		if peerClosedFirst(c.Conn) {
			v |= goodbyePeerFirst
		}
		c.goodbye.Store(v) // the first call: the second follows the close_notify
	}
	return c.Conn.SetWriteDeadline(t)
}

// peerFirst reports whether the peer closed first, as seen before a TLS
// goodbye if one began (saidGoodbye), else from the kernel now.
func (c *conn) peerFirst() (peerFirst, saidGoodbye bool) {
	if v := c.goodbye.Load(); v&goodbyeSeen != 0 {
		return v&goodbyePeerFirst != 0, true
	}
	return peerClosedFirst(c.Conn), false
}

// acquire marks the connection in use by one more request and reports
// whether it had served one before.
func (c *conn) acquire() (reused bool) {
	if c.inflight.Add(1) == 1 {
		c.h.inUse.Add(1)
	}
	return c.served.Add(1) > 1
}

// release marks one request done with the connection. An expired
// connection is closed when its last request is done.
func (c *conn) release() {
	if c.inflight.Add(-1) != 0 {
		return
	}
	c.h.inUse.Add(-1)
	if c.expired.Load() {
		c.closeExpired()
	}
}

// idle reports whether no request uses the connection.
func (c *conn) idle() bool { return c.inflight.Load() == 0 }

// expire runs at the connection's deadline: an idle connection is closed
// now, one in use when its requests are done, and a request handed the
// connection from now on asks the server to close it.
func (c *conn) expire() {
	if c.closed.Load() {
		return
	}
	c.markReason(telemetry.ReasonMaxLifetime, true)
	c.expired.Store(true)
	if c.idle() {
		c.closeExpired()
	}
}

// expiredRecheck is how soon an expired connection that could not be
// closed is looked at again.
const expiredRecheck = 100 * time.Millisecond

// limboGrace is how long past its deadline a connection that never served
// is left alone: net/http may not have handed it to the request it was
// dialed for yet (a busy machine can delay that), and closing it then
// would fail that request.
const limboGrace = time.Second

// closeExpired closes an expired idle connection unless a request may be
// about to get it from net/http (a request waits at the host's cap, a
// dial is in flight, whose request takes whichever connection comes
// first, or the connection never served and is young: see limboGrace):
// closing it under that request would fail it. Such a connection
// is then either handed to that request, which asks the server to close
// it ("Connection: close"), or looked at again after expiredRecheck.
func (c *conn) closeExpired() {
	limbo := c.served.Load() == 0 && time.Since(c.born) < addSat(c.life, limboGrace)
	if !limbo && c.h.waiters.Load() == 0 && c.h.dialing.Load() == 0 {
		c.closeAs(telemetry.ReasonMaxLifetime)
		return
	}
	time.AfterFunc(expiredRecheck, c.expire) // expire returns once it is closed
}

// markReason records why the Transport expects this connection to close.
// A strong mark overrides a weak one; the first mark of a kind wins.
func (c *conn) markReason(r telemetry.Reason, strong bool) {
	v := int32(r) + 1
	if strong {
		v |= strongMark
	}
	for {
		old := c.mark.Load()
		if old&strongMark != 0 || old != 0 && !strong {
			return
		}
		if c.mark.CompareAndSwap(old, v) {
			return
		}
	}
}

// closeAs closes the connection for reason r (a strong mark).
func (c *conn) closeAs(r telemetry.Reason) {
	c.markReason(r, true)
	c.Close()
}

// Close closes the connection through the dialer with the reason it is
// closed for, and counts the close when the dialer reports its side.
func (c *conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.Conn.Close()
	}
	c.h.live.Add(-1)
	if c.lifetime != nil {
		c.lifetime.Stop()
	}
	peerFirst, saidGoodbye := c.peerFirst()
	reason := c.closeReason(peerFirst)
	return dialer.CloseConn(c.Conn, reason, func(side telemetry.Side) {
		// A broken connection whose peer's FIN came in just before the
		// close, unless it came in answer to the TLS goodbye.
		if reason == telemetry.ReasonBroken && side == telemetry.SidePassive && !peerFirst && !saidGoodbye {
			reason = telemetry.ReasonPeerClosed
		}
		c.h.countClose(reason, side)
		c.t.recordDuration(c.h, time.Since(c.born))
	})
}

// closeReason says why the connection closes now, from evidence: a
// strong mark; for an idle connection, the net/http code closing it —
// CloseIdleConnections (closed), its idle timer (max_idle_time), its idle
// cap (max_idle), or the HTTP/1 read loop whose wait for the next
// response failed (peer_closed); the peer's FIN or reset already
// received; a weak mark; otherwise broken (net/http gave up on it, or a
// request still used it).
//
// net/http's own decision comes before the peer's FIN: over TLS,
// tls.Conn.Close writes a close_notify before it closes this connection,
// and a server that answers it by closing at once (Go's does) would
// otherwise pass for a server that had closed first. The read loop's
// case covers the other way round: a TLS server that closes an idle
// connection sends its close_notify before its FIN, and net/http closes
// on the close_notify, often before that FIN is in.
func (c *conn) closeReason(peerFirst bool) telemetry.Reason {
	m := c.mark.Load()
	if m&strongMark != 0 {
		return telemetry.Reason(m&0xff - 1)
	}
	closer := telemetry.ReasonBroken
	if c.idle() {
		closer = closerReason()
	}
	switch {
	case closer != telemetry.ReasonBroken:
		return closer
	case peerFirst:
		return telemetry.ReasonPeerClosed
	case m != 0:
		return telemetry.Reason(m&0xff - 1)
	}
	return closer
}

// closerReason looks at the goroutine closing an idle connection for the
// net/http function that decided to.
func closerReason() telemetry.Reason {
	var pcs [48]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		name := f.Function
		switch {
		case name == "net/http.(*Transport).CloseIdleConnections":
			return telemetry.ReasonClosed
		case strings.HasSuffix(name, ".closeConnIfStillIdle"), strings.HasSuffix(name, ".onIdleTimeout"):
			return telemetry.ReasonMaxIdleTime
		case strings.HasSuffix(name, ".tryPutIdleConn"):
			return telemetry.ReasonMaxIdle
		case strings.HasSuffix(name, ".readLoopPeekFailLocked"):
			return telemetry.ReasonPeerClosed
		}
		if !more {
			return telemetry.ReasonBroken
		}
	}
}

// peerClosedFirst reports whether the kernel has received the peer's FIN
// or reset: the close about to be made is passive.
func peerClosedFirst(c net.Conn) bool {
	tc, ok := netconn.Find[*net.TCPConn](c)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	state, err := sockopt.State(raw)
	return err == nil && sockopt.PeerClosed(state)
}
