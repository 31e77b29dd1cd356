package pool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

// slowDial dials for real after a pause, and counts the dials started.
type slowDial struct {
	started atomic.Int64
	pause   func() time.Duration
}

func (s *slowDial) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	s.started.Add(1)
	select {
	case <-time.After(s.pause()):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Item 4: acquirers with random deadlines while dials are slow. Timeouts
// counts exactly the acquires that ended by their deadline, and every dial
// started lands in the pool even when its acquirer left.
func TestCancelDuringSlowDials(t *testing.T) {
	srv := startServer(t)
	sd := &slowDial{pause: func() time.Duration { return time.Duration(20+rand.IntN(60)) * time.Millisecond }}
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: sd.Dial, MaxConns: 8})
	const acquirers = 60
	var timeouts, ok atomic.Int64
	var wg sync.WaitGroup
	for i := range acquirers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout := time.Duration(rand.IntN(120)) * time.Millisecond
			if i%10 == 0 {
				timeout = 0 // already expired
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, err := p.Acquire(ctx)
			switch {
			case err == nil:
				ok.Add(1)
				time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
				if err := roundTrip(c, "x"); err != nil {
					t.Error(err)
				}
				c.Release()
			case errors.Is(err, context.DeadlineExceeded):
				timeouts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	eventually(t, "dials to finish", func() bool { return p.Stats().Dialing == 0 })
	s := p.Stats()
	t.Logf("%d acquirers: %d served, %d timed out; dials started %d, Opened %d, Idle %d", acquirers, ok.Load(), timeouts.Load(), sd.started.Load(), s.Opened, s.Idle)
	if s.Timeouts != timeouts.Load() || ok.Load()+timeouts.Load() != acquirers || s.Acquisitions != ok.Load() {
		t.Fatalf("Stats.Timeouts %d Acquires %d; counted %d timeouts, %d served", s.Timeouts, s.Acquisitions, timeouts.Load(), ok.Load())
	}
	if s.Opened != sd.started.Load() || s.DialErrors != 0 || s.Idle != s.Opened || s.TotalClosed() != 0 {
		t.Fatalf("dials started %d: Opened %d DialErrors %d Idle %d Closed %d", sd.started.Load(), s.Opened, s.DialErrors, s.Idle, s.TotalClosed())
	}
	if timeouts.Load() < acquirers/10 {
		t.Fatalf("only %d timeouts", timeouts.Load())
	}
	checkBalance(t, s)
}

// Item 4: Close blocks until the connections out are released, then has
// closed every connection; waiting and later acquirers get ErrClosed.
func TestCloseWaitsForConns(t *testing.T) {
	srv := startServer(t)
	p, err := pool.New(pool.Config{Addr: srv.addr(), MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	var held []pool.Conn
	for range 3 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	waiter := make(chan error)
	go func() {
		_, err := p.Acquire(context.Background()) // pool full: waits
		waiter <- err
	}()
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	for i, c := range held {
		select {
		case <-closed:
			t.Fatalf("Close returned with %d connections out", len(held)-i)
		case <-time.After(20 * time.Millisecond):
		}
		if err := roundTrip(c, "still usable"); err != nil {
			t.Fatal(err)
		}
		c.Release()
		if i == 0 { // puddle wakes a waiter on a closed, full pool at the next release
			if err := <-waiter; !errors.Is(err, pool.ErrClosed) {
				t.Fatalf("waiting acquirer got %v, want ErrClosed", err)
			}
		}
	}
	<-closed
	s := p.Stats()
	if s.Closed != 3 || s.Open != 0 || s.Opened != 3 {
		t.Fatalf("PoolClosed %d Open %d Opened %d, want 3, 0, 3", s.Closed, s.Open, s.Opened)
	}
	checkBalance(t, s)
	eventually(t, "server to see the closes", func() bool { return srv.open() == 0 })
	if _, err := p.Acquire(context.Background()); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
}

// A connection dialed for an acquirer that gave up waits in the pool; when
// it is handed out later it is checked like any idle connection, so a close
// that reached it meanwhile stays invisible to the caller.
func TestAbandonedDialIsChecked(t *testing.T) {
	srv := startServer(t)
	sd := &slowDial{pause: func() time.Duration { return 50 * time.Millisecond }}
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: sd.Dial, MaxConns: 1, LivenessCheckAfter: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire during a slow dial: %v", err)
	}
	eventually(t, "the abandoned dial to join the pool", func() bool { return p.Stats().Idle == 1 })
	eventually(t, "the server to see it", func() bool { return len(srv.closeConns(1, false)) == 1 })
	time.Sleep(150 * time.Millisecond) // past LivenessCheckAfter; the FIN has long arrived
	c, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, "after abandon"); err != nil {
		c.Destroy()
		t.Fatalf("round trip: %v", err)
	}
	c.Release()
	if s := p.Stats(); s.PeerClosed != 1 || s.Opened != 2 || s.LivenessChecks != 1 {
		t.Fatalf("PeerClosed %d Opened %d LivenessChecks %d, want 1, 2, 1", s.PeerClosed, s.Opened, s.LivenessChecks)
	}
}
