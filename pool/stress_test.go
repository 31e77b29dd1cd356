package pool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
	"go.uber.org/goleak"
)

// stressDuration reads KEEPCONN_STRESS (a Go duration), default 3s.
func stressDuration(t *testing.T) time.Duration {
	d := 3 * time.Second
	if v := os.Getenv("KEEPCONN_STRESS"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("KEEPCONN_STRESS=%q: %v", v, err)
		}
	}
	if testing.Short() {
		d = min(d, 500*time.Millisecond)
	}
	return d
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// Item 5: a random mix of acquire, release, destroy and cancel from many
// goroutines while the server closes connections and the pool reaps them;
// afterwards the books balance and goroutines and descriptors are back.
func TestStress(t *testing.T) {
	dur := stressDuration(t)
	baseFDs := openFDs(t)
	srv := startServer(t)
	p, err := pool.New(pool.Config{
		Addr: srv.addr(), MaxConns: 8, MaxIdle: 6, MinIdle: 2,
		IdleTimeout: 30 * time.Millisecond, MaxLifetime: 150 * time.Millisecond, MaxLifetimeJitter: 50 * time.Millisecond,
		AbortIdleClose: rand.IntN(2) == 0,
	})
	if err != nil {
		t.Fatal(err)
	}
	var timeouts, served, failed atomic.Int64
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) * 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				stressOp(p, &timeouts, &served, &failed)
			}
		}()
	}
	wg.Add(1)
	go func() { // the server drops connections now and then
		defer wg.Done()
		for time.Now().Before(stop) {
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			srv.closeConns(1, rand.IntN(2) == 0)
		}
	}()
	wg.Wait()
	eventually(t, "dials to finish", func() bool { return p.Stats().Dialing == 0 })
	s := p.Stats()
	if s.Timeouts != timeouts.Load() {
		t.Errorf("Stats.Timeouts %d, counted %d", s.Timeouts, timeouts.Load())
	}
	p.Close()
	// puddle forgets a destroyed connection just after closing it: wait.
	eventually(t, "Open to reach 0", func() bool { return p.Stats().Open == 0 })
	s = p.Stats()
	t.Logf("%v: served %d (round-trip errors %d), timeouts %d; Opened %d, closes: max_idle %d idle_time %d lifetime %d broken %d peer %d closed %d; active %d passive %d abortive %d",
		dur, served.Load(), failed.Load(), timeouts.Load(), s.Opened, s.MaxIdleClosed, s.MaxIdleTimeClosed,
		s.MaxLifetimeClosed, s.BrokenClosed, s.PeerClosed, s.Closed, s.ActiveCloses, s.PassiveCloses, s.AbortiveCloses)
	if s.Open != 0 || s.Opened != s.TotalClosed() {
		t.Errorf("after Close: Open %d, Opened %d, Closed %d", s.Open, s.Opened, s.TotalClosed())
	}
	checkBalance(t, s)
	if s.Acquisitions != served.Load()+failed.Load() {
		t.Errorf("Acquires %d, handed out %d", s.Acquisitions, served.Load()+failed.Load())
	}
	if s.Reused > s.Acquisitions || s.Reused < s.Acquisitions-s.Opened {
		t.Errorf("Reused %d, want within [Acquires %d - Opened %d, Acquires]", s.Reused, s.Acquisitions, s.Opened)
	}
	srv.stop()
	if err := goleak.Find(); err != nil {
		t.Error(err)
	}
	if baseFDs >= 0 {
		eventually(t, "descriptors back to the baseline", func() bool { return openFDs(t) <= baseFDs })
	}
}

func stressOp(p *pool.Pool, timeouts, served, failed *atomic.Int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(5000))*time.Microsecond)
	defer cancel()
	c, err := p.Acquire(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			timeouts.Add(1)
		}
		return
	}
	switch rand.IntN(10) {
	case 0:
		served.Add(1)
		c.Destroy()
	case 1:
		served.Add(1)
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		c.Release()
	default:
		if err := roundTrip(c, "stress"); err != nil {
			failed.Add(1) // the server dropped it mid-request
			c.Destroy()
			return
		}
		served.Add(1)
		c.Release()
	}
}
