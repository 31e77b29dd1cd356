package pool_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

// mustPanic runs f and returns the panic message, failing if f returns.
func mustPanic(t *testing.T, what string, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("%s did not panic", what)
		}
		msg, _ = r.(string)
	}()
	f()
	return ""
}

// A stale Release never hands one socket to two goroutines: with MaxConns
// 1, A releases, B acquires, A releases again (a panic), and C finds the
// connection still B's.
func TestStaleReleaseCannotShare(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 1})
	a, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.Release()
	b, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg := mustPanic(t, "a second Release of A", a.Release)
	if !strings.Contains(msg, "already released") {
		t.Fatalf("panic %q", msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if c, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			c.Release()
		}
		t.Fatalf("C's Acquire while B holds the only connection: %v, want a timeout", err)
	}
	if err := roundTrip(b, "still B's"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("x\n")); !errors.Is(err, pool.ErrReleased) {
		t.Fatalf("Write through A's stale handle: %v, want ErrReleased", err)
	}
	if a.NetConn() != nil || a.Value() != nil {
		t.Fatal("a stale handle still reaches the connection")
	}
	b.Release()
	if s := p.Stats(); s.InUse != 0 || s.Idle != 1 || s.Opened != 1 {
		t.Fatalf("InUse %d Idle %d Opened %d, want 0, 1, 1", s.InUse, s.Idle, s.Opened)
	}
}

// Every way of ending an acquisition twice panics, as do those of the
// zero Conn; copies of a Conn are the same acquisition.
func TestDoubleEndPanics(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 2})
	acquire := func() pool.Conn {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := acquire()
	c.Destroy()
	mustPanic(t, "Release after Destroy", c.Release)
	mustPanic(t, "Destroy after Destroy", c.Destroy)
	c = acquire()
	copyOf := c
	c.Release()
	mustPanic(t, "Destroy of a released copy", copyOf.Destroy)
	var zero pool.Conn
	mustPanic(t, "Release of the zero Conn", zero.Release)
	if _, err := zero.Read(nil); !errors.Is(err, pool.ErrReleased) {
		t.Fatalf("Read of the zero Conn: %v", err)
	}
}

// Dials whose acquirers gave up join the idle connections only within
// MaxIdle: with MaxConns 8 and MaxIdle 1, five timed-out acquires leave
// one idle connection and close four as MaxIdleClosed.
func TestAbandonedDialsRespectMaxIdle(t *testing.T) {
	srv := startServer(t)
	sd := &slowDial{pause: func() time.Duration { return 100 * time.Millisecond }}
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: sd.Dial, MaxConns: 8, MaxIdle: 1})
	done := make(chan error)
	for range 5 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			_, err := p.Acquire(ctx)
			done <- err
		}()
	}
	for range 5 {
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire during a slow dial: %v", err)
		}
	}
	eventually(t, "the dials to finish", func() bool {
		s := p.Stats()
		return s.Dialing == 0 && s.Opened == 5 && s.TotalClosed() == 4
	})
	s := p.Stats()
	if sd.started.Load() != 5 || s.Idle != 1 || s.Open != 1 || s.MaxIdleClosed != 4 || s.Timeouts != 5 {
		t.Fatalf("dials %d: Idle %d Open %d MaxIdleClosed %d Timeouts %d, want 5, 1, 1, 4, 5",
			sd.started.Load(), s.Idle, s.Open, s.MaxIdleClosed, s.Timeouts)
	}
	if s.WaitCount != 0 {
		t.Fatalf("WaitCount %d: no acquire found MaxConns open", s.WaitCount)
	}
	checkBalance(t, s)
}

// WaitCount counts acquisitions that waited at MaxConns, not those that
// dialed: sql.DBStats's meaning.
func TestWaitCountAtCapOnly(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 2})
	a, _ := p.Acquire(context.Background())
	b, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.WaitCount != 0 || s.Opened != 2 {
		t.Fatalf("two dials: WaitCount %d Opened %d, want 0 and 2", s.WaitCount, s.Opened)
	}
	got := make(chan pool.Conn)
	go func() {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	time.Sleep(20 * time.Millisecond)
	a.Release()
	c := <-got
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire at the cap: %v", err)
	}
	c.Release()
	b.Release()
	s := p.Stats()
	if s.WaitCount != 2 || s.Timeouts != 1 || s.WaitDuration < 25*time.Millisecond || s.Acquisitions != 3 || s.Reused != 1 {
		t.Fatalf("WaitCount %d WaitDuration %v Timeouts %d Acquisitions %d Reused %d, want 2, ≥ 25ms, 1, 3, 1",
			s.WaitCount, s.WaitDuration, s.Timeouts, s.Acquisitions, s.Reused)
	}
}

// Group.Acquire rejects an address without a valid port before any dial.
func TestGroupAddrValidated(t *testing.T) {
	var dials atomic.Int64
	sd := &slowDial{pause: func() time.Duration { dials.Add(1); return 0 }}
	g, err := pool.NewGroup(pool.Config{Dial: sd.Dial})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, addr := range []string{"no-port", "h:", "h:0", "h:70000", "h:-5", "h:not-a-service", ""} {
		_, err := g.Acquire(context.Background(), addr)
		var ce *pool.ConfigError
		if !errors.As(err, &ce) || ce.Field != "pool.Config.Addr" {
			t.Errorf("Group.Acquire(%q): %v, want a ConfigError on pool.Config.Addr", addr, err)
		}
	}
	if n := dials.Load(); n != 0 || len(g.Stats()) != 0 {
		t.Fatalf("%d dials, %d pools for invalid addresses", n, len(g.Stats()))
	}
}
