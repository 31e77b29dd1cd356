package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// ErrDialBackoff is wrapped in the error Acquire returns while the pool
// waits before dialing a backend whose last dials failed. The same error
// also wraps the last dial error.
var ErrDialBackoff = errors.New("keepconn/pool: dial backing off after failures")

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
	nc, err := p.gate.dial(telemetry.Claim(ctx), p)
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

// dialGate keeps a failing or unproven backend from a dial storm. While no
// connection is open, or after a failed dial, one dial at a time probes the
// backend and concurrent constructors wait for its outcome; after repeated
// failures no dial starts until the backoff has passed, and constructors
// fail at once. While connections are open and dials succeed, dials run in
// parallel.
type dialGate struct {
	base, cap time.Duration

	mu       sync.Mutex
	probe    *dialCall // the dial in flight that others wait for
	failures int       // consecutive failed dials
	lastErr  error
	retryAt  time.Time
}

type dialCall struct {
	done chan struct{}
	err  error
}

func (g *dialGate) init(base, cap time.Duration) { g.base, g.cap = base, cap }

func (g *dialGate) dial(ctx context.Context, p *Pool) (net.Conn, error) {
	g.mu.Lock()
	if g.failures == 0 && p.reg.len() > 0 {
		g.mu.Unlock()
		return g.dialReport(ctx, p, nil)
	}
	if call := g.probe; call != nil {
		g.mu.Unlock()
		if err := g.wait(ctx, call, p); err != nil {
			return nil, err
		}
		return g.dialReport(ctx, p, nil) // the probe got through
	}
	if g.failures > 0 {
		if wait := time.Until(g.retryAt); wait > 0 {
			err := g.lastErr
			n := g.failures
			g.mu.Unlock()
			p.count.dialBackoffs.Add(1)
			return nil, fmt.Errorf("%w (%d in a row, next dial in %v): %w", ErrDialBackoff, n, wait.Round(time.Millisecond), err)
		}
	}
	call := &dialCall{done: make(chan struct{})}
	g.probe = call
	g.mu.Unlock()
	return g.dialReport(ctx, p, call)
}

// dialReport dials and records the outcome, ending call if it is a probe.
func (g *dialGate) dialReport(ctx context.Context, p *Pool, call *dialCall) (net.Conn, error) {
	nc, err := p.dialOnce(ctx)
	g.finish(call, err)
	return nc, err
}

// wait waits for another constructor's probe dial and shares its failure.
func (g *dialGate) wait(ctx context.Context, call *dialCall, p *Pool) error {
	p.count.dialWaits.Add(1)
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *dialGate) finish(call *dialCall, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if call != nil {
		g.probe = nil
		call.err = err
		close(call.done)
	}
	if err == nil {
		g.failures, g.lastErr = 0, nil
		return
	}
	g.failures++
	g.lastErr = err
	g.retryAt = time.Now().Add(g.backoff())
}

// backoff is the pause after the current run of failures: none after the
// first (a one-off failure costs nothing but the probing), then
// DialBackoff doubling up to DialBackoffMax.
func (g *dialGate) backoff() time.Duration {
	if g.failures < 2 {
		return 0
	}
	n := min(g.failures-2, 62)
	if g.base > g.cap>>n { // base<<n would pass the cap, or overflow
		return g.cap
	}
	return g.base << n
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
