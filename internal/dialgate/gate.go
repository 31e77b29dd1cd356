// Package dialgate keeps a failing or unproven backend from a dial storm.
// It is the one dial gate of keepconn's pools: package pool has one per
// pool, package httpx one per host.
//
// While the backend has no connection open, or after a failed dial, one
// dial at a time probes it and concurrent dials wait for its outcome,
// sharing its failure; after repeated failures no dial starts until the
// backoff has passed, and dials fail at once with an error wrapping
// ErrBackoff and the last failure. While connections are open and dials
// succeed, dials run in parallel.
package dialgate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ErrBackoff is wrapped in the error of a dial refused during a backoff.
var ErrBackoff = errors.New("keepconn: dial backing off after failures")

// Gate is one backend's dial gate. Set Base and Max before the first Dial;
// the zero value of the rest is ready. Its methods are safe for
// concurrent use.
type Gate struct {
	// Base is the pause after a second consecutive failure; it doubles
	// with each further failure up to Max.
	Base, Max time.Duration
	// OnWait and OnBackoff, if set, are called when a dial waits for
	// another's probe and when one is refused during a backoff.
	OnWait, OnBackoff func()

	mu       sync.Mutex
	probe    *call // the dial in flight that others wait for
	failures int   // consecutive failed dials
	lastErr  error
	retryAt  time.Time
}

type call struct {
	done chan struct{}
	err  error
}

// Dial runs dial through the gate. healthy says that the backend has
// connections open, so that a dial needs no probe while the last dials
// succeeded. ctx bounds only the wait for another dial's probe.
func (g *Gate) Dial(ctx context.Context, healthy bool, dial func() (net.Conn, error)) (net.Conn, error) {
	g.mu.Lock()
	if g.failures == 0 && healthy {
		g.mu.Unlock()
		return g.run(nil, dial)
	}
	if c := g.probe; c != nil {
		g.mu.Unlock()
		if err := g.wait(ctx, c); err != nil {
			return nil, err
		}
		return g.run(nil, dial) // the probe got through
	}
	if wait := time.Until(g.retryAt); g.failures > 0 && wait > 0 {
		err, n := g.lastErr, g.failures
		g.mu.Unlock()
		if g.OnBackoff != nil {
			g.OnBackoff()
		}
		return nil, fmt.Errorf("%w (%d in a row, next dial in %v): %w", ErrBackoff, n, wait.Round(time.Millisecond), err)
	}
	c := &call{done: make(chan struct{})}
	g.probe = c
	g.mu.Unlock()
	return g.run(c, dial)
}

// wait waits for another dial's probe and shares its failure.
func (g *Gate) wait(ctx context.Context, c *call) error {
	if g.OnWait != nil {
		g.OnWait()
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run dials and records the outcome, ending c if it is a probe.
func (g *Gate) run(c *call, dial func() (net.Conn, error)) (net.Conn, error) {
	nc, err := dial()
	g.finish(c, err)
	return nc, err
}

func (g *Gate) finish(c *call, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c != nil {
		g.probe = nil
		c.err = err
		close(c.done)
	}
	if err == nil {
		g.failures, g.lastErr = 0, nil
		return
	}
	g.failures++
	g.lastErr = err
	g.retryAt = time.Now().Add(Backoff(g.failures, g.Base, g.Max))
}

// Backoff is the pause after failures consecutive failed dials: none after
// the first (a one-off failure costs nothing but the probing), then base
// doubling up to limit, without overflow.
func Backoff(failures int, base, limit time.Duration) time.Duration {
	if failures < 2 {
		return 0
	}
	n := min(failures-2, 62)
	if base > limit>>n { // base<<n would pass the limit, or overflow
		return limit
	}
	return base << n
}
