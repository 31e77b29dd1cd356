package pool

import (
	"context"
	"math"
	"net"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// The skip rule at its boundary, on an injected coarse clock: with
// LivenessCheckAfter 200 ms a coarse idle time one nanosecond under 150 ms
// (200 ms less a tick) skips the check, 150 ms is checked; with IdleTimeout
// the connection closes from a coarse idle time of IdleTimeout on.
func TestUsableBoundaries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := New(Config{Addr: ln.Addr().String(), LivenessCheckAfter: 200 * time.Millisecond, IdleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	c := p.newConn(nc)
	const stamp = clockOrigin
	for _, tc := range []struct {
		idle    time.Duration
		checked bool
		reason  telemetry.Reason
	}{
		{150*time.Millisecond - 1, false, 0},
		{150 * time.Millisecond, true, 0},
		{time.Second - 1, true, 0},
		{time.Second, false, telemetry.ReasonMaxIdleTime},
	} {
		c.lastUsed = stamp
		before := p.count.checks.Load()
		r, ok := p.usable(c, stamp+int64(tc.idle))
		checked := p.count.checks.Load() > before
		if checked != tc.checked || ok != (tc.reason == 0) || r != tc.reason {
			t.Errorf("idle %v: checked %v, usable %v (%v); want checked %v, reason %v", tc.idle, checked, ok, r, tc.checked, tc.reason)
		}
	}
}

// A pool that reads the clock stamps every connection at its dial, so that
// no connection reaches usable without a stamp (which would read as 18
// minutes idle).
func TestNewConnStamped(t *testing.T) {
	for _, cfg := range []Config{{}, {IdleTimeout: time.Minute, LivenessCheckAfter: CheckEveryReuse}} {
		cfg.Addr = "127.0.0.1:1"
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		a, b := net.Pipe()
		c := p.newConn(a)
		if idle := ticks.now() - c.lastUsed; c.lastUsed == 0 || idle > int64(clockTick) {
			t.Errorf("%+v: lastUsed %d, idle %v after the dial", cfg, c.lastUsed, time.Duration(idle))
		}
		a.Close()
		b.Close()
		p.Close()
	}
}

// Expiry arithmetic saturates: a lifetime and jitter near the maximum
// never make a connection expire at once.
func TestExpiryNoOverflow(t *testing.T) {
	p, err := New(Config{Addr: "127.0.0.1:1", MaxLifetime: math.MaxInt64, MaxLifetimeJitter: math.MaxInt64})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	for range 100 {
		if c := p.newConn(a); c.expiry != math.MaxInt64 {
			t.Fatalf("expiry %d, want the saturated maximum", c.expiry)
		}
	}
	if d := satAdd(math.MaxInt64-5, 10); d != math.MaxInt64 {
		t.Fatalf("satAdd overflowed: %d", d)
	}
}

// holdClock stops the coarse clock's ticks from moving it, for the test's
// duration, and returns a function that moves it by d.
func holdClock(t *testing.T) func(d time.Duration) {
	ticks.held.Store(true)
	t.Cleanup(func() { ticks.held.Store(false) })
	return func(d time.Duration) { ticks.last.Add(int64(d)) }
}

// The liveness threshold on the injected clock, through a real pool and
// socket: with LivenessCheckAfter 200 ms a connection idle 149 ms of the
// coarse clock is reused unchecked, one idle 150 ms (200 ms less a tick,
// erring towards checking) is checked, and so is one idle 250 ms.
func TestLivenessCheckAfterThreshold(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	p, err := New(Config{Addr: ln.Addr().String(), MaxConns: 1, LivenessCheckAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	advance := holdClock(t)
	use := func() {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c.Release()
	}
	use()
	var want int64
	for _, step := range []struct {
		idle    time.Duration
		checked bool
	}{
		{0, false}, {50 * time.Millisecond, false}, {150*time.Millisecond - 1, false},
		{150 * time.Millisecond, true}, {250 * time.Millisecond, true}, {time.Millisecond, false},
	} {
		advance(step.idle)
		use()
		if step.checked {
			want++
		}
		if got := p.count.checks.Load(); got != want {
			t.Fatalf("idle %v: %d checks, want %d", step.idle, got, want)
		}
	}
}

// A dialed connection that puddle put with the idle ones outside MaxIdle
// (its acquirer left just as the dial completed: adoptLate) is closed as
// MaxIdleClosed by the maintenance, which restores the cap.
func TestLateOrphanRestoresMaxIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	p, err := New(Config{Addr: ln.Addr().String(), MaxConns: 4, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.Release()
	b.c.gen++
	b.c.res.ReleaseUnused() // as puddle does for an acquirer that left: no cap
	p.adoptLate(b.c, b.c.lastUsed)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := p.Stats()
		if s.Idle == 1 && s.MaxIdleClosed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Idle %d MaxIdleClosed %d, want 1 and 1", s.Idle, s.MaxIdleClosed)
		}
		time.Sleep(time.Millisecond)
	}
	if n := p.lateOrphans.Load(); n != 0 {
		t.Fatalf("lateOrphans %d after the sweep", n)
	}
}
