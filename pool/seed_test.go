package pool_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/keepconn/keepconn/pool"
)

// burst runs one round: workers acquire concurrently, each holds its
// connection until all have one (the burst's peak), makes a round trip and
// releases.
func burst(t *testing.T, p *pool.Pool, workers int) {
	t.Helper()
	var all, done sync.WaitGroup
	all.Add(workers)
	errs := make(chan error, workers)
	for i := range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			c, err := p.Acquire(context.Background())
			all.Done()
			if err != nil {
				errs <- err
				return
			}
			all.Wait()
			if err := roundTrip(c, fmt.Sprint("w", i)); err != nil {
				c.Destroy()
				errs <- err
				return
			}
			c.Release()
		}()
	}
	done.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Item 1: the seed articles' MaxOpen 100 / MaxIdle 10 / 50 workers churn,
// and the same load with the default MaxIdle.
func TestSeedScenario(t *testing.T) {
	const workers, rounds = 50, 200 // 10,000 round trips
	t.Run("MaxIdle10", func(t *testing.T) {
		srv := startServer(t)
		p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 100, MaxIdle: 10})
		for r := 1; r <= 20; r++ {
			burst(t, p, workers)
			want := int64(40 * r) // 50 released, 10 kept
			eventually(t, "MaxIdleClosed", func() bool { return p.Stats().MaxIdleClosed >= want })
			s := p.Stats()
			if s.MaxIdleClosed != want || s.Idle != 10 {
				t.Fatalf("round %d: MaxIdleClosed %d Idle %d, want %d and 10", r, s.MaxIdleClosed, s.Idle, want)
			}
			if s.ActiveCloses != want {
				t.Fatalf("round %d: ActiveCloses %d, want %d: each MaxIdle close leaves a TIME_WAIT here", r, s.ActiveCloses, want)
			}
		}
		s := p.Stats()
		t.Logf("20 bursts of 50: Opened %d, MaxIdleClosed %d, Reused %d", s.Opened, s.MaxIdleClosed, s.Reused)
		if s.Opened != 10+40*20 {
			t.Errorf("Opened %d, want %d", s.Opened, 10+40*20)
		}
	})
	t.Run("MaxIdle10AbortIdleClose", func(t *testing.T) {
		srv := startServer(t)
		p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 100, MaxIdle: 10, AbortIdleClose: true})
		burst(t, p, workers)
		eventually(t, "MaxIdleClosed", func() bool { return p.Stats().MaxIdleClosed >= 40 })
		if s := p.Stats(); s.AbortiveCloses != 40 || s.ActiveCloses != 0 {
			t.Fatalf("AbortiveCloses %d ActiveCloses %d, want 40 and 0", s.AbortiveCloses, s.ActiveCloses)
		}
	})
	t.Run("DefaultMaxIdle", func(t *testing.T) {
		srv := startServer(t)
		p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 100})
		for range rounds {
			burst(t, p, workers)
		}
		s := p.Stats()
		t.Logf("%d round trips: Opened %d, Reused %d, MaxIdleClosed %d", workers*rounds, s.Opened, s.Reused, s.MaxIdleClosed)
		if s.MaxIdleClosed != 0 || s.Opened > workers || s.TotalClosed() != 0 {
			t.Fatalf("MaxIdleClosed %d Opened %d Closed %d, want 0, ≤ %d, 0", s.MaxIdleClosed, s.Opened, s.TotalClosed(), workers)
		}
		if s.Acquisitions != workers*rounds || s.Reused != s.Acquisitions-s.Opened {
			t.Fatalf("Acquires %d Reused %d Opened %d", s.Acquisitions, s.Reused, s.Opened)
		}
		if got := srv.accepted.Load(); got != s.Opened {
			t.Fatalf("server accepted %d, pool opened %d", got, s.Opened)
		}
	})
}
