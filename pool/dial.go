package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// ErrDialBackoff is wrapped in the error Acquire returns while the pool
// waits before dialing a backend whose last dials failed. The same error
// also wraps the last dial error.
var ErrDialBackoff = errors.New("keepconn/pool: dial backing off after failures")

// warmKey marks the context of dials made for MinIdle.
type warmKey struct{}

// construct is puddle's constructor: it dials through the gate.
func (p *Pool) construct(ctx context.Context) (*Conn, error) {
	nc, err := p.gate.dial(ctx, p)
	if err != nil {
		return nil, err
	}
	warm := ctx.Value(warmKey{}) != nil
	c := p.newConn(nc, warm)
	if warm && p.capIdle { // straight to the idle list
		p.idle.Add(1)
		c.inIdle = true
	}
	// Idle from its dial for maintenance too: a warm connection, or one
	// whose acquirer gives up, waits in the idle list.
	if p.trackIdle {
		c.idleSince.Store(c.lastUsed)
	}
	p.reg.add(c)
	return c, nil
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
	b := g.base << min(g.failures-2, 30)
	if b > g.cap || b <= 0 {
		b = g.cap
	}
	return b
}

// dialOnce dials under DialTimeout and counts the outcome.
func (p *Pool) dialOnce(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	start := time.Now()
	nc, err := p.dial(ctx, p.cfg.Network, p.cfg.Addr)
	if err != nil {
		p.count.dialErrors.Add(1)
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			p.count.addrNotAvail.Add(1)
		}
		return nil, fmt.Errorf("keepconn/pool: dial %s: %w", p.cfg.Addr, err)
	}
	p.count.opened.Add(1)
	p.recordDial(ctx, time.Since(start))
	return nc, nil
}
