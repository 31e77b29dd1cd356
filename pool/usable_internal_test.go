package pool

import (
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

	c := p.newConn(nc, false)
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
		c := p.newConn(a, false)
		if idle := ticks.now() - c.lastUsed; c.lastUsed == 0 || idle > int64(clockTick) {
			t.Errorf("%+v: lastUsed %d, idle %v after the dial", cfg, c.lastUsed, time.Duration(idle))
		}
		a.Close()
		b.Close()
		p.Close()
	}
}
