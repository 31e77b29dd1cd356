package redisx

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// bursts runs n bursts of width concurrent GETs and returns the commands
// that failed.
func bursts(ctx context.Context, c redis.Cmdable, n, width int, gap time.Duration) int {
	var failed int
	var mu sync.Mutex
	for i := range n {
		var wg sync.WaitGroup
		for range width {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Get(ctx, "k").Err(); err != nil && !errors.Is(err, redis.Nil) {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if gap > 0 && i < n-1 {
			time.Sleep(gap)
		}
	}
	return failed
}

// What must be shown 2, the counting part: PoolSize 10 / MaxIdleConns 2
// kept as given churns, and every eviction shows as MaxIdleClosed; the
// tuned setting dials at most PoolSize.
func TestIdleCapEvictionsAreMaxIdleClosed(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	opt := &redis.Options{Addr: srv.Addr(), PoolSize: 10, MaxIdleConns: 2}

	kept, err := NewClient(opt, Config{KeepPoolSettings: true})
	if err != nil {
		t.Fatal(err)
	}
	if failed := bursts(ctx, kept, 40, 50, 0); failed != 0 {
		t.Fatalf("%d commands failed", failed)
	}
	s := kept.Stats()
	if s.MaxIdleClosed < 40 || s.MaxIdleClosed != s.TotalClosed() {
		t.Errorf("kept setting: MaxIdleClosed %d of %d closes, Opened %d; want every close an eviction, at least one per burst: %+v", s.MaxIdleClosed, s.TotalClosed(), s.Opened, s.ConnStats)
	}
	if s.WaitCount == 0 || s.Reused == 0 {
		t.Errorf("kept setting: WaitCount %d Reused %d", s.WaitCount, s.Reused)
	}
	kept.Close()
	checkIdentities(t, kept.Stats())
	t.Logf("PoolSize 10 / MaxIdleConns 2 kept: %d dials, %d MaxIdleClosed, %d waits for 2000 commands", s.Opened, s.MaxIdleClosed, s.WaitCount)

	tuned, err := NewClient(opt, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if failed := bursts(ctx, tuned, 40, 50, 0); failed != 0 {
		t.Fatalf("%d commands failed", failed)
	}
	s = tuned.Stats()
	if s.Opened > 10 || s.TotalClosed() != 0 {
		t.Errorf("tuned: Opened %d, closed %d; want ≤ PoolSize and none", s.Opened, s.TotalClosed())
	}
	tuned.Close()
	checkIdentities(t, tuned.Stats())
}

// Connections past the idle time or the lifetime are closed at go-redis's
// check before reuse, and counted as such.
func TestIdleTimeAndLifetimeAttributed(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	idle, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 2, ConnMaxIdleTime: 150 * time.Millisecond}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	life, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 2, ConnMaxLifetime: 300 * time.Millisecond,
		ConnMaxLifetimeJitter: time.Millisecond}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer life.Close()
	for range 3 {
		for _, c := range []*Client{idle, life} {
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(400 * time.Millisecond)
	}
	if s := idle.Stats(); s.MaxIdleTimeClosed < 2 || s.MaxIdleTimeClosed != s.TotalClosed() {
		t.Errorf("idle time: %+v", s.ConnStats)
	}
	if s := life.Stats(); s.MaxLifetimeClosed < 2 || s.MaxLifetimeClosed != s.TotalClosed() {
		t.Errorf("lifetime: %+v", s.ConnStats)
	}
}

// What must be shown 4: after CLIENT KILL of idle connections the next
// commands succeed, found by the reaper or by go-redis's check before
// reuse through the keepconn connection, and PeerClosed counts them.
func TestClientKillIsPeerClosed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reaper time.Duration
		wait   time.Duration
	}{
		{"reaper", 50 * time.Millisecond, 300 * time.Millisecond},
		{"reuse check", time.Hour, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := server(t, nil)
			ctx := testCtx(t)
			// No retries: a killed connection handed to a command would fail it.
			c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 5, MinIdleConns: 5, MaxRetries: -1},
				Config{ReaperInterval: tc.reaper, WarmupInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			waitFor(t, func() bool { return c.Stats().Idle == 5 })
			if _, err := srv.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tc.wait)
			if s := c.Stats(); tc.reaper < time.Second && (s.Open != 0 || s.Idle != 0 || s.Reaped != 5) {
				t.Errorf("reaped, before go-redis drops them: Open %d, Idle %d, Reaped %d; want 0, 0, 5", s.Open, s.Idle, s.Reaped)
			}
			if failed := bursts(ctx, c, 3, 5, 0); failed != 0 {
				t.Fatalf("%d commands failed after CLIENT KILL", failed)
			}
			s := c.Stats()
			if s.PeerClosed != 5 || s.PassiveCloses != 5 || s.TotalClosed() != 5 {
				t.Errorf("after killing 5 idle connections: %+v", s.ConnStats)
			}
			if tc.reaper < time.Second && s.Reaped != 5 {
				t.Errorf("Reaped %d, want 5", s.Reaped)
			}
		})
	}
}

// The server's timeout is read with CONFIG GET; where CONFIG is refused
// the fallback applies, and Tuning says why.
func TestServerTimeoutRead(t *testing.T) {
	ctx := testCtx(t)
	for _, tc := range []struct {
		name     string
		settings map[string]string
		idle     time.Duration
		known    bool
	}{
		{"timeout 10", map[string]string{"timeout": "10"}, 7500 * time.Millisecond, true},
		{"CONFIG refused", map[string]string{"timeout": "10", "rename-command": `CONFIG ""`}, DefaultFallbackIdleTime, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := server(t, tc.settings)
			c, err := NewClient(&redis.Options{Addr: srv.Addr()}, Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Ping(ctx)
			waitFor(t, func() bool { return !errors.Is(c.Tuning().ServerTimeoutErr, errTimeoutNotRead) })
			tu := c.Tuning()
			if tu.ConnMaxIdleTime != tc.idle || (tu.ServerTimeoutErr == nil) != tc.known {
				t.Errorf("tuning %+v", tu)
			}
		})
	}
}

// MinIdleConns are opened one at a time, WarmupInterval apart, and
// topped up again after the server closed them.
func TestWarmupIsPaced(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	start := time.Now()
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 10, MinIdleConns: 4},
		Config{WarmupInterval: 100 * time.Millisecond, ReaperInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, func() bool { return c.Stats().Idle == 4 })
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("4 warm connections within %v: not paced", el)
	}
	n, err := srv.ConnectionsReceived(ctx)
	if err != nil || n-1 != 4 {
		t.Errorf("server accepted %d connections (%v), want 4", n-1, err)
	}
	if _, err := srv.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); err != nil {
		t.Fatal(err)
	}
	c.Ping(ctx) // go-redis drops the dead connections it meets
	waitFor(t, func() bool { s := c.Stats(); return s.PeerClosed == 4 && s.Idle == 4 })

	// Kept as given, go-redis dials them itself, all at once, from
	// NewClient on: counted all the same.
	k, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 10, MinIdleConns: 4}, Config{KeepPoolSettings: true})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	waitFor(t, func() bool { return k.Stats().Opened >= 4 })
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
