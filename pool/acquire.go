package pool

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// Idle connections that the peer closed, that hold unexpected bytes, or
// that outlived IdleTimeout or MaxLifetime are closed and skipped without
// the caller noticing. Dial errors are returned wrapped (errors.Is works
// on the cause, e.g. syscall.EADDRNOTAVAIL); during a dial backoff the
// error also wraps ErrDialBackoff. On a closed pool the error is ErrClosed.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	for {
		res, err := p.pp.Acquire(ctx)
		if err != nil {
			return nil, p.acquireError(ctx, err)
		}
		c := res.Value()
		c.res = res
		fresh := c.fresh
		if r, ok := p.usable(c, res); !ok {
			c.destroy(r)
			continue
		}
		c.held = true
		p.count.acquires.Add(1) // before reused, which Stats reads first: Reused ≤ Acquires
		if !fresh {
			p.count.reused.Add(1)
		}
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

// usable decides whether an acquired connection can be handed out, and
// the close reason if not.
func (p *Pool) usable(c *Conn, res *puddle.Resource[*Conn]) (telemetry.Reason, bool) {
	if p.capIdle {
		p.leaveIdle(c)
	}
	if p.trackIdle {
		c.idleSince.Store(0)
	}
	if c.fresh {
		c.fresh = false
		return 0, true
	}
	if c.expired.Load() {
		return telemetry.ReasonMaxLifetime, false
	}
	var idle time.Duration = -1
	if p.trackIdle {
		idle = res.IdleDuration()
		if idle >= p.cfg.IdleTimeout {
			return telemetry.ReasonMaxIdleTime, false
		}
	}
	if p.cfg.DisableLivenessCheck || c.raw == nil {
		return 0, true
	}
	if after := p.cfg.LivenessCheckAfter; after > 0 {
		if idle < 0 {
			idle = res.IdleDuration()
		}
		if idle < after {
			return 0, true
		}
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
