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

// lateOrphanRetry is how soon maintenance looks again for a connection
// that puddle is about to put with the idle ones outside MaxIdle.
const lateOrphanRetry = time.Millisecond

// maintain runs in the background until Close: it sleeps until the next
// connection is due to expire or to time out idle, or the next health
// check, closes the idle ones that are due or dead, and dials to keep
// MinIdle connections ready.
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
	health := false
	if p.checkLive && now >= p.nextHealth {
		p.nextHealth = satAdd(now, int64(p.cfg.HealthCheckPeriod))
		health = p.healthScan()
	}
	if p.checkLive {
		next = min(next, p.nextHealth)
	}
	orphans := p.lateOrphans.Load()
	if orphans > 0 {
		if p.uncountedIdle() {
			p.lateOrphans.Add(-orphans)
			sweep = true
		} else {
			next = min(next, now+int64(lateOrphanRetry))
		}
	}
	if sweep || health {
		p.sweep(health)
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
	next = satAdd(now, int64(maintenanceHorizon))
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
			if at := satAdd(since, p.idleDue); now >= at {
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
		next = min(next, satAdd(now, int64(p.cfg.IdleTimeout)))
	}
	if p.cfg.MaxLifetime > 0 {
		next = min(next, satAdd(now, int64(p.cfg.MaxLifetime)))
	}
	return sweep, next
}

// healthScan peeks at every open connection without taking it from the
// pool, and reports whether one was closed by its peer. A connection in
// use may legitimately hold bytes, and one the peer closed while in use is
// its user's to find: only the idle ones found dead again by the sweep
// are closed.
func (p *Pool) healthScan() bool {
	p.reg.mu.Lock()
	buf := p.healthBuf[:0]
	for c := range p.reg.conns {
		if c.raw != nil {
			buf = append(buf, c)
		}
	}
	p.reg.mu.Unlock()
	dead := false
	for _, c := range buf {
		p.count.healthChecks.Add(1)
		if c.bg.probe(c) == probeClosed {
			dead = true
		}
	}
	clear(buf)
	p.healthBuf = buf
	return dead
}

// uncountedIdle reports whether puddle holds more idle connections than
// MaxIdle's count: one put there by adoptLate.
func (p *Pool) uncountedIdle() bool {
	return int64(p.pp.Stat().IdleResources()) > p.idle.Load()
}

// sweep takes every idle connection, closes those that are due (or, with
// check, dead), and gives the others back in their order, most recently
// used on top, within MaxIdle.
func (p *Pool) sweep(check bool) {
	idle := p.pp.AcquireAllIdle() // most recently used first
	now := preciseNow()
	keep := make([]*conn, 0, len(idle))
	var doomed []*conn
	for _, res := range idle {
		c := p.takeIdle(res)
		if r, ok := p.due(c, now, len(keep), check); ok {
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

func (p *Pool) takeIdle(res *puddle.Resource[*conn]) *conn {
	c := res.Value()
	c.res = res
	p.leaveIdle(c)
	return c
}

// due says whether the idle connection c must close, kept being the number
// of more recently used idle connections kept so far; check peeks at it.
func (p *Pool) due(c *conn, now int64, kept int, check bool) (telemetry.Reason, bool) {
	if c.expired.Load() {
		return telemetry.ReasonMaxLifetime, true
	}
	if check && c.raw != nil {
		switch c.probe() {
		case probeClosed:
			return telemetry.ReasonPeerClosed, true
		case probeData:
			return telemetry.ReasonBroken, true
		}
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
