package httpx

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// conn is a connection the Transport dialed. It knows its destination's
// counters, how many requests use it now, since when it is idle, and why
// it is being closed, so that every close is counted by reason and side.
type conn struct {
	net.Conn
	t         *Transport
	h         *hostStats
	born      time.Time
	idleSince atomic.Int64 // unix nanoseconds; 0 while in use
	inflight  atomic.Int32
	reason    atomic.Int32 // reason+1 set by the Transport; 0: infer at close
	closed    atomic.Bool
}

// NetConn returns the wrapped connection, for dialer.CloseIdle and
// anything else that unwraps connections.
func (c *conn) NetConn() net.Conn { return c.Conn }

func (t *Transport) dialWith(inner func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h := t.hosts.get(addr)
		nc, err := inner(ctx, network, addr)
		if err != nil {
			h.countDialError(err)
			return nil, err
		}
		h.opened.Add(1)
		h.open.Add(1)
		now := time.Now()
		c := &conn{Conn: nc, t: t, h: h, born: now}
		c.idleSince.Store(now.UnixNano())
		return c, nil
	}
}

// acquire marks the connection in use by one more request.
func (c *conn) acquire() {
	if c.inflight.Add(1) == 1 {
		c.h.inUse.Add(1)
		c.idleSince.Store(0)
	}
}

// release marks one request done with the connection.
func (c *conn) release() {
	if c.inflight.Add(-1) == 0 {
		c.idleSince.Store(time.Now().UnixNano())
		c.h.inUse.Add(-1)
	}
}

// markReason records why the Transport expects this connection to close.
func (c *conn) markReason(r telemetry.Reason) { c.reason.CompareAndSwap(0, int32(r)+1) }

// Close closes the connection and counts the close.
func (c *conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.Conn.Close()
	}
	reason := c.closeReason()
	side, err := dialer.CloseSide(c.Conn)
	if side == telemetry.SidePassive && reason != telemetry.ReasonBroken {
		reason = telemetry.ReasonPeerClosed
	}
	c.h.closes.Add(reason, side)
	c.h.open.Add(-1)
	c.t.recordDuration(c.h, time.Since(c.born))
	return err
}

// closeReason says why net/http closes the connection now: a reason the
// Transport recorded, CloseIdleConnections, the idle timeout or the idle
// cap for an idle connection, broken for one in use.
func (c *conn) closeReason() telemetry.Reason {
	if r := c.reason.Load(); r != 0 {
		return telemetry.Reason(r - 1)
	}
	since := c.idleSince.Load()
	switch {
	case c.inflight.Load() > 0 || since == 0:
		return telemetry.ReasonBroken
	case c.t.closingIdle.Load() > 0:
		return telemetry.ReasonClosed
	case time.Since(time.Unix(0, since)) >= c.t.idleTimeout()*9/10:
		return telemetry.ReasonMaxIdleTime
	}
	return telemetry.ReasonMaxIdle
}

func (t *Transport) idleTimeout() time.Duration {
	if t.tuned != nil && t.tuned.IdleConnTimeout > 0 {
		return t.tuned.IdleConnTimeout
	}
	return t.cfg.idleConnTimeout
}

// connOf finds our conn under what httptrace reports (a *tls.Conn for
// HTTPS, the conn itself for plain HTTP).
func connOf(c net.Conn) *conn {
	for range 8 {
		switch v := c.(type) {
		case *conn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}
