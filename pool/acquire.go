package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Acquire returns a connection from the pool: the most recently released
// idle one that passes the checks, or a new one when none is idle and
// fewer than MaxConns are open; otherwise it waits for a release.
//
// ctx bounds the wait only. When ctx ends first Acquire returns an error
// wrapping ctx.Err() (counted in Stats.Timeouts); a dial it started goes on
// under DialTimeout, and its connection joins the pool. ctx's values reach
// Dial.
//
// Connections past IdleTimeout or MaxLifetime, and connections idle for
// LivenessCheckAfter or longer that the peer closed or that hold
// unexpected bytes, are closed and skipped without the caller noticing. A
// close that reached a connection used more recently than that is left for
// the caller to see as an I/O error. Dial errors are returned wrapped
// (errors.Is works on the cause, e.g. syscall.EADDRNOTAVAIL); during a dial
// backoff the error also wraps ErrDialBackoff. On a closed pool the error
// is ErrClosed.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	for {
		res, err := p.pp.Acquire(ctx)
		if err != nil {
			return nil, p.acquireError(ctx, err)
		}
		c := res.Value()
		c.res = res
		fresh := c.fresh
		c.fresh = false
		if r, ok := p.usable(c, p.clockNow()); !ok {
			c.destroy(r)
			continue
		}
		if fresh {
			c.freshUse.Store(true)
		} else {
			c.reuses.Add(1)
		}
		c.held = true
		return c, nil
	}
}

func (p *Pool) acquireError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, puddle.ErrClosedPool):
		return ErrClosed
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("keepconn/pool: acquire from %s: %w", p.cfg.Name, err)
	}
	return err
}

// clockNow reads the coarse clock if the pool uses it, and 0 otherwise.
func (p *Pool) clockNow() int64 {
	if !p.usesClock {
		return 0
	}
	return ticks.now()
}

// usable decides whether a connection just taken from puddle can be
// handed out, and the close reason if not; now is the coarse clock. Every
// connection passes here, one dialed for this very Acquire too: it was
// stamped at its dial, so it skips the check unless its acquirer gave up
// and it waited in the pool since.
//
// Both the stamp and now lag the exact clock by up to a tick (while the
// clock's goroutine keeps up), so a connection whose coarse idle time is
// under LivenessCheckAfter minus a tick (skipBelow) has truly been idle
// less than LivenessCheckAfter, and skips the check.
func (p *Pool) usable(c *Conn, now int64) (telemetry.Reason, bool) {
	if p.capIdle {
		p.leaveIdle(c)
	}
	idle := now - c.lastUsed
	if p.trackIdle {
		c.idleSince.Store(0)
	}
	if c.expired.Load() {
		return telemetry.ReasonMaxLifetime, false
	}
	if p.trackIdle && idle >= int64(p.cfg.IdleTimeout) {
		return telemetry.ReasonMaxIdleTime, false
	}
	if !p.checkLive || c.raw == nil || idle < p.skipBelow {
		return 0, true
	}
	return p.check(c)
}

// check peeks at the idle socket.
func (p *Pool) check(c *Conn) (telemetry.Reason, bool) {
	p.count.checks.Add(1)
	switch c.probe() {
	case probeClosed:
		return telemetry.ReasonPeerClosed, false
	case probeData:
		return telemetry.ReasonBroken, false
	}
	return 0, true
}

type probeResult uint8

const (
	probeAlive  probeResult = iota // nothing to read: the connection is idle and open
	probeClosed                    // end of file or an error: the peer closed or reset it
	probeData                      // bytes nobody asked for: out of step with the protocol
)
