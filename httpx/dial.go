package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// ErrDialBackoff is wrapped in the error a request gets while the
// Transport waits before dialing a host whose last dials failed. The same
// error also wraps the last dial error.
var ErrDialBackoff = errors.New("keepconn/httpx: dial backing off after failures")

type dialFunc func(context.Context, string, string) (net.Conn, error)

// dialWith returns the DialContext of the tuned transport: inner behind
// the host's dial gate, under ConnectTimeout, counted, and wrapped in a
// conn. Dials are claimed (telemetry.Claim), so a keepconn dialer leaves
// them out of its own metrics: the Transport reports them per host.
func (t *Transport) dialWith(inner dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h := t.hosts.startDial(t, addr)
		defer h.endDial()
		ctx, cancel := context.WithTimeout(telemetry.Claim(ctx), t.cfg.ConnectTimeout)
		defer cancel()
		nc, err := h.gate.dial(ctx, h, func() (net.Conn, error) { return inner(ctx, network, addr) })
		if err != nil {
			return nil, err
		}
		h.open.Add(1)
		h.live.Add(1)
		return newConn(t, h, nc), nil
	}
}

// dialGate keeps a failing or unproven host from a dial storm, as package
// pool does: while the host has no connection open, or after a failed
// dial, one dial at a time probes it and concurrent requests wait for its
// outcome (sharing its failure); after repeated failures no dial starts
// until the backoff has passed, and requests fail at once with
// ErrDialBackoff. While connections are open and dials succeed, dials run
// in parallel.
type dialGate struct {
	mu       sync.Mutex
	probe    *dialCall     // the dial in flight that others wait for
	failures int           // consecutive failed dials
	lastErr  error         // the last failure
	retryAt  time.Duration // monotonic time before which no dial starts
}

type dialCall struct {
	done chan struct{}
	err  error
}

func (g *dialGate) dial(ctx context.Context, h *hostStats, dial func() (net.Conn, error)) (net.Conn, error) {
	t := h.t
	g.mu.Lock()
	if g.failures == 0 && h.live.Load() > 0 {
		g.mu.Unlock()
		return g.dialReport(h, nil, dial)
	}
	if call := g.probe; call != nil {
		g.mu.Unlock()
		t.count.dialWaits.Add(1)
		select {
		case <-call.done:
			if call.err != nil {
				return nil, call.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return g.dialReport(h, nil, dial) // the probe got through
	}
	if wait := g.retryAt - t.now(); g.failures > 0 && wait > 0 {
		err, n := g.lastErr, g.failures
		g.mu.Unlock()
		t.count.dialBackoffs.Add(1)
		return nil, fmt.Errorf("%w (%d in a row, next dial in %v): %w", ErrDialBackoff, n, wait.Round(time.Millisecond), err)
	}
	call := &dialCall{done: make(chan struct{})}
	g.probe = call
	g.mu.Unlock()
	return g.dialReport(h, call, dial)
}

// dialReport dials, counts the outcome and ends call if it is a probe.
func (g *dialGate) dialReport(h *hostStats, call *dialCall, dial func() (net.Conn, error)) (net.Conn, error) {
	nc, err := dial()
	if err != nil {
		h.dials.Failed(err, false)
	} else {
		h.dials.Opened()
	}
	g.finish(h.t, call, err)
	return nc, err
}

func (g *dialGate) finish(t *Transport, call *dialCall, err error) {
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
	g.retryAt = addSat(t.now(), backoff(g.failures, t.cfg.DialBackoff, t.cfg.DialBackoffMax))
}

// backoff is the pause after failures consecutive failures: none after
// the first (a one-off failure costs nothing but the probing), then base
// doubling up to limit, without overflow.
func backoff(failures int, base, limit time.Duration) time.Duration {
	if failures < 2 {
		return 0
	}
	b := base
	for i := 2; i < failures && b < limit; i++ {
		if b > limit/2 {
			return limit
		}
		b *= 2
	}
	return min(b, limit)
}
