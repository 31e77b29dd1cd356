package pool

import (
	"context"
	"time"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// maintenanceHorizon is the longest the background maintenance sleeps
// when nothing is due; it is woken early whenever a connection closes.
const maintenanceHorizon = time.Hour

func (p *Pool) needsMaintenance() bool {
	return p.cfg.IdleTimeout > 0 || p.cfg.MaxLifetime > 0 || p.cfg.MinIdle > 0
}

// maintain runs in the background until Close: it sleeps until the next
// connection is due to expire or to time out idle, closes the idle ones
// that are due, and dials to keep MinIdle connections ready.
func (p *Pool) maintain() {
	defer close(p.maintDone)
	timer := time.NewTimer(maintenanceHorizon)
	defer timer.Stop()
	for {
		timer.Reset(p.maintainOnce())
		select {
		case <-p.ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
	}
}

// maintainOnce does what is due now and returns how long to sleep.
func (p *Pool) maintainOnce() time.Duration {
	now := preciseNow()
	sweep, next := p.scan(now)
	if sweep {
		p.sweep()
	}
	wait := time.Duration(next - now)
	if p.cfg.MinIdle > 0 {
		if retry := p.topUp(); retry > 0 && retry < wait {
			wait = retry
		}
	}
	return max(wait, time.Millisecond)
}

// scan marks the connections whose lifetime has passed, says whether idle
// connections are due to be closed, and returns when the next one will be.
// It reads only atomics, so it does not disturb acquirers.
func (p *Pool) scan(now int64) (sweep bool, next int64) {
	next = now + int64(maintenanceHorizon)
	var idle, due int
	p.reg.mu.Lock()
	for c := range p.reg.conns {
		if c.expiry != 0 && !c.expired.Load() {
			if now >= c.expiry {
				c.expired.Store(true)
				sweep = true
			} else {
				next = min(next, c.expiry)
			}
		}
		if since := c.idleSince.Load(); p.trackIdle && since != 0 {
			idle++
			if at := since + p.idleDue; now >= at {
				due++
			} else {
				next = min(next, at)
			}
		}
	}
	p.reg.mu.Unlock()
	if due > 0 && idle-p.cfg.MinIdle > 0 {
		sweep = true
	}
	// Connections dialed or released later are due no sooner than this.
	if p.trackIdle {
		next = min(next, now+int64(p.cfg.IdleTimeout))
	}
	if p.cfg.MaxLifetime > 0 {
		next = min(next, now+int64(p.cfg.MaxLifetime))
	}
	return sweep, next
}

// sweep takes every idle connection, closes those that are due and gives
// the others back in their order, most recently used on top.
func (p *Pool) sweep() {
	idle := p.pp.AcquireAllIdle() // most recently used first
	now := preciseNow()
	keep := make([]*Conn, 0, len(idle))
	var doomed []*Conn
	for _, res := range idle {
		c := p.takeIdle(res)
		if r, ok := p.due(c, now, len(keep)); ok {
			c.reason = r
			doomed = append(doomed, c)
			continue
		}
		keep = append(keep, c)
	}
	for i := len(keep) - 1; i >= 0; i-- {
		c := keep[i]
		if p.capIdle && !p.enterIdle(c) {
			c.destroy(telemetry.ReasonMaxIdle)
			continue
		}
		c.res.ReleaseUnused()
	}
	for _, c := range doomed {
		c.destroy(c.reason)
	}
}

func (p *Pool) takeIdle(res *puddle.Resource[*Conn]) *Conn {
	c := res.Value()
	c.res = res
	p.leaveIdle(c)
	return c
}

// due says whether the idle connection c must close, kept being the number
// of more recently used idle connections kept so far.
func (p *Pool) due(c *Conn, now int64, kept int) (telemetry.Reason, bool) {
	if c.expired.Load() {
		return telemetry.ReasonMaxLifetime, true
	}
	if p.trackIdle && now-c.idleSince.Load() >= p.idleDue && kept >= p.cfg.MinIdle {
		return telemetry.ReasonMaxIdleTime, true
	}
	return 0, false
}

// topUp dials until MinIdle connections are idle or the pool is full. It
// returns when to try again after a failed dial, or 0.
func (p *Pool) topUp() time.Duration {
	ctx := context.WithValue(p.ctx, warmKey{}, true)
	for p.ctx.Err() == nil {
		st := p.pp.Stat()
		if int(st.IdleResources()) >= p.cfg.MinIdle || int(st.TotalResources()) >= p.cfg.MaxConns {
			return 0
		}
		if err := p.pp.CreateResource(ctx); err != nil {
			return p.cfg.DialBackoff
		}
	}
	return 0
}
