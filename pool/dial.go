package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/keepconn/keepconn/internal/dialgate"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// ErrDialBackoff is wrapped in the error Acquire returns while the pool
// waits before dialing a backend whose last dials failed. The same error
// also wraps the last dial error. It is the same error as
// httpx.ErrDialBackoff.
var ErrDialBackoff = dialgate.ErrBackoff

// warmKey marks the context of dials made for MinIdle.
type warmKey struct{}

// errNoDial refuses the background dial of puddle's TryAcquire.
var errNoDial = errors.New("keepconn/pool: no dial without an acquirer")

// errAbandoned ends a dial whose acquirer left while MaxIdle were idle.
var errAbandoned = errors.New("keepconn/pool: acquirer gone and the idle connections full")

// construct is puddle's constructor: it dials through the gate, for an
// acquirer (the context holds its acquisition) or for MinIdle.
func (p *Pool) construct(ctx context.Context) (*conn, error) {
	if ctx == tryCtx {
		return nil, errNoDial
	}
	a, _ := ctx.Value(acquisitionKey{}).(*acquisition)
	if a != nil {
		a.started(time.Now())
	}
	p.slots.Add(1)
	p.dialing.Add(1)
	ctx = telemetry.Claim(ctx)
	nc, err := p.gate.Dial(ctx, p.reg.len() > 0, func() (net.Conn, error) { return p.dialOnce(ctx) })
	p.dialing.Add(-1)
	if err != nil {
		p.slots.Add(-1)
		return nil, err
	}
	c := p.newConn(nc)
	p.reg.add(c)
	if ctx.Value(warmKey{}) != nil { // straight to the idle list
		if p.capIdle {
			p.idle.Add(1)
			c.inIdle = true
		}
		p.idleFromDial(c, c.lastUsed)
		return c, nil
	}
	if a != nil {
		a.mu.Lock()
		gaveUp := a.gaveUp
		if !gaveUp {
			a.c, a.stamp = c, c.lastUsed
		}
		a.mu.Unlock()
		if gaveUp {
			return p.abandoned(c)
		}
	}
	return c, nil
}

// abandoned places a connection whose acquirer left during the dial:
// puddle puts it with the idle ones, so it must fit under MaxIdle, or be
// closed now.
func (p *Pool) abandoned(c *conn) (*conn, error) {
	if p.capIdle && !p.enterIdle(c) {
		p.closeConn(c, telemetry.ReasonMaxIdle)
		p.forget(c)
		return nil, errAbandoned
	}
	p.idleFromDial(c, c.lastUsed)
	return c, nil
}

// adoptLate is abandoned for a connection whose acquirer left just after
// its dial completed, while puddle was handing it over: puddle is putting
// it with the idle ones now, outside MaxIdle, and the maintenance restores
// the cap as soon as it is there. stamp is its dial stamp.
func (p *Pool) adoptLate(c *conn, stamp int64) {
	p.idleFromDial(c, stamp)
	if p.capIdle {
		p.lateOrphans.Add(1)
		p.signalMaintenance()
	}
}

// idleFromDial makes a connection that waits unused in the idle list idle
// from its dial, for maintenance.
func (p *Pool) idleFromDial(c *conn, stamp int64) {
	if p.trackIdle {
		c.idleSince.Store(stamp)
	}
}

// dialOnce dials under DialTimeout and counts the outcome.
func (p *Pool) dialOnce(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	start := time.Now()
	nc, err := p.dial(ctx, p.cfg.Network, p.cfg.Addr)
	if err != nil {
		p.count.dials.Failed(err, false)
		return nil, fmt.Errorf("keepconn/pool: dial %s: %w", p.cfg.Addr, err)
	}
	p.count.dials.Opened()
	p.recordDial(ctx, time.Since(start))
	return nc, nil
}
