package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
// under DialTimeout, and its connection joins the idle connections within
// MaxIdle. ctx's values reach Dial.
//
// Connections past IdleTimeout or MaxLifetime, and connections idle for
// LivenessCheckAfter or longer that the peer closed or that hold
// unexpected bytes, are closed and skipped without the caller noticing. A
// close that reached a connection used more recently than that is left for
// the caller to see as an I/O error. Dial errors are returned wrapped
// (errors.Is works on the cause, e.g. syscall.EADDRNOTAVAIL); during a dial
// backoff the error also wraps ErrDialBackoff. On a closed pool the error
// is ErrClosed.
//
// An Acquire served by an idle connection reads no clock and allocates
// nothing. One that waits or dials allocates: keepconn's record of the
// acquisition, and x/sync/semaphore's waiter when it waits at MaxConns.
func (p *Pool) Acquire(ctx context.Context) (Conn, error) {
	if err := ctx.Err(); err != nil {
		p.count.timeouts.Add(1)
		return Conn{}, p.ctxError(err)
	}
	for {
		fresh := false
		res, err := p.pp.TryAcquire(tryCtx)
		if err != nil {
			if res, fresh, err = p.acquireSlow(ctx, err); err != nil {
				return Conn{}, err
			}
		}
		c := res.Value()
		c.res = res
		if !fresh {
			if r, ok := p.usable(c, p.clockNow()); !ok {
				c.destroy(r)
				continue
			}
		}
		c.uses.Add(1)
		c.gen++
		return Conn{c: c, gen: c.gen}, nil
	}
}

// tryCtx is the context of puddle's TryAcquire: when it finds no idle
// connection but room, puddle starts a dial in the background, which
// construct refuses at once; Acquire's slow path dials for itself.
var tryCtx = context.WithValue(context.Background(), tryKey{}, true)

type tryKey struct{}

// acquisition is the context of an Acquire that found no idle connection:
// it lets construct, which puddle runs on its own goroutine, learn whether
// the acquirer is still there when the dial completes.
type acquisition struct {
	context.Context

	mu        sync.Mutex
	gaveUp    bool      // the acquirer returned without a connection
	c         *conn     // dialed for the acquirer, not yet known to be taken
	stamp     int64     // c's dial stamp (coarse clock)
	dialStart time.Time // when a dial for the acquirer started: its wait ended
}

func (a *acquisition) started(t time.Time) {
	a.mu.Lock()
	a.dialStart = t
	a.mu.Unlock()
}

type acquisitionKey struct{}

func (a *acquisition) Value(key any) any {
	if key == (acquisitionKey{}) {
		return a
	}
	return a.Context.Value(key)
}

// acquireSlow waits in puddle's Acquire for a release or a dial of its
// own. It reports whether the connection was dialed for this acquisition
// (fresh: it skips the checks). Only an acquisition that found MaxConns
// open or dialing counts as a wait.
func (p *Pool) acquireSlow(ctx context.Context, tryErr error) (*puddle.Resource[*conn], bool, error) {
	if errors.Is(tryErr, puddle.ErrClosedPool) {
		return nil, false, ErrClosed
	}
	a := &acquisition{Context: ctx}
	atCap := p.slots.Load() >= int64(p.cfg.MaxConns)
	var start time.Time
	if atCap {
		p.count.waits.Add(1)
		start = time.Now()
	}
	res, err := p.pp.Acquire(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	if atCap {
		end := a.dialStart
		if end.IsZero() {
			end = time.Now()
		}
		p.count.waitNanos.Add(int64(end.Sub(start)))
	}
	if err != nil {
		a.gaveUp = true
		if a.c != nil { // dialed just as ctx ended: puddle puts it with the idle ones
			p.adoptLate(a.c, a.stamp)
		}
		return nil, false, p.acquireError(ctx, err)
	}
	return res, a.c != nil && res.Value() == a.c, nil
}

func (p *Pool) acquireError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, puddle.ErrClosedPool):
		return ErrClosed
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		p.count.timeouts.Add(1)
		return p.ctxError(err)
	}
	return err
}

func (p *Pool) ctxError(err error) error {
	return fmt.Errorf("keepconn/pool: acquire from %s: %w", p.cfg.Name, err)
}

// clockNow reads the coarse clock if the pool uses it, and 0 otherwise.
func (p *Pool) clockNow() int64 {
	if !p.usesClock {
		return 0
	}
	return ticks.now()
}

// usable decides whether a connection just taken from the idle list can be
// handed out, and the close reason if not; now is the coarse clock.
//
// Both the stamp and now lag the exact clock by up to a tick (while the
// clock's goroutine keeps up), so a connection whose coarse idle time is
// under LivenessCheckAfter minus a tick (skipBelow) has truly been idle
// less than LivenessCheckAfter, and skips the check.
func (p *Pool) usable(c *conn, now int64) (telemetry.Reason, bool) {
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
func (p *Pool) check(c *conn) (telemetry.Reason, bool) {
	p.count.checks.Add(1)
	switch c.probe() {
	case probeClosed:
		return telemetry.ReasonPeerClosed, false
	case probeData:
		return telemetry.ReasonBroken, false
	}
	return 0, true
}
