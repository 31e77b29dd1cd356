package pool_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

func TestGroup(t *testing.T) {
	a, b := startServer(t), startServer(t)
	g, err := pool.NewGroup(pool.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		for _, srv := range []*lineServer{a, b} {
			c, err := g.Acquire(context.Background(), srv.addr())
			if err != nil {
				t.Fatal(err)
			}
			if err := roundTrip(c, "g"); err != nil {
				t.Fatal(err)
			}
			c.Release()
		}
	}
	st := g.Stats()
	if len(st) != 2 || st[a.addr()].Opened != 1 || st[b.addr()].Acquisitions != 10 {
		t.Fatalf("stats: %+v", st)
	}
	if _, err := g.Acquire(context.Background(), "no-port"); err == nil {
		t.Fatal("invalid address accepted")
	}
	g.Close()
	if _, err := g.Acquire(context.Background(), a.addr()); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if s := g.Stats()[a.addr()]; s.Closed != 1 || s.Open != 0 {
		t.Fatalf("after Close: %+v", s)
	}
	if _, err := pool.NewGroup(pool.Config{MaxIdle: -1}); err == nil {
		t.Fatal("invalid group config accepted")
	}
}

// Remove closes a backend's pool and forgets it: its connections are
// closed, its stats are gone, and the next Acquire starts a new pool.
func TestGroupRemove(t *testing.T) {
	a, b := startServer(t), startServer(t)
	g, err := pool.NewGroup(pool.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, srv := range []*lineServer{a, b} {
		burstGroup(t, g, srv.addr())
	}
	old, err := g.Pool(a.addr())
	if err != nil {
		t.Fatal(err)
	}
	held, err := g.Acquire(context.Background(), a.addr())
	if err != nil {
		t.Fatal(err)
	}
	removed := make(chan struct{})
	go func() { g.Remove(a.addr()); close(removed) }()
	eventually(t, "the pool to be forgotten", func() bool { _, ok := g.Stats()[a.addr()]; return !ok })
	select {
	case <-removed:
		t.Fatal("Remove returned while a connection was out")
	default:
	}
	held.Release()
	<-removed
	if s := old.Stats(); s.Open != 0 || s.Closed != 1 {
		t.Fatalf("removed pool: Open %d PoolClosed %d, want 0 and 1", s.Open, s.Closed)
	}
	if _, err := old.Acquire(context.Background()); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Acquire on the removed pool: %v", err)
	}
	burstGroup(t, g, a.addr())
	st := g.Stats()
	if len(st) != 2 || st[a.addr()].Opened != 1 || st[a.addr()].Acquisitions != 1 || st[b.addr()].Acquisitions != 1 {
		t.Fatalf("after Remove and a new Acquire: %+v", st)
	}
	g.Remove("never-used:1") // nothing to remove
}

func burstGroup(t *testing.T, g *pool.Group, addr string) {
	t.Helper()
	c, err := g.Acquire(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, "g"); err != nil {
		t.Fatal(err)
	}
	c.Release()
}

// An Acquire waiting on a pool that Remove closes does not fail: once the
// old pool has closed it goes on with a new pool for the address.
func TestGroupRemoveWhileWaiting(t *testing.T) {
	a := startServer(t)
	g, err := pool.NewGroup(pool.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	held, err := g.Acquire(context.Background(), a.addr())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := g.Pool(a.addr())
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := g.Acquire(ctx, a.addr())
		if err == nil {
			err = roundTrip(c, "across remove")
			c.Release()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // the acquirer waits on old's only connection
	removed := make(chan struct{})
	go func() { g.Remove(a.addr()); close(removed) }()
	eventually(t, "the pool to be forgotten", func() bool { return len(g.Stats()) == 0 })
	time.Sleep(20 * time.Millisecond)
	held.Release() // lets old close, which wakes the acquirer with ErrClosed
	<-removed
	if err := <-got; err != nil {
		t.Fatalf("waiting Acquire across Remove: %v", err)
	}
	if s := old.Stats(); s.Open != 0 || s.Acquisitions != 1 {
		t.Fatalf("removed pool: Open %d Acquires %d, want 0 and 1", s.Open, s.Acquisitions)
	}
	if s := g.Stats()[a.addr()]; s.Opened != 1 || s.Acquisitions != 1 {
		t.Fatalf("new pool: Opened %d Acquires %d, want 1 and 1", s.Opened, s.Acquisitions)
	}
}

// Close and Remove at the same time: every pool closes once, nothing races.
func TestGroupCloseWhileRemoving(t *testing.T) {
	srv := startServer(t)
	g, err := pool.NewGroup(pool.Config{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	// One server, many pools: the addresses differ in their host spelling.
	addrs := []string{srv.addr()}
	_, port, _ := net.SplitHostPort(srv.addr())
	for i := 2; i < 34; i++ {
		addrs = append(addrs, net.JoinHostPort(fmt.Sprintf("127.0.0.%d", i), port))
	}
	var pools []*pool.Pool
	for _, addr := range addrs {
		p, err := g.Pool(addr)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, p)
	}
	burstGroup(t, g, srv.addr())
	var wg sync.WaitGroup
	for _, addr := range addrs {
		wg.Go(func() { g.Remove(addr) })
	}
	wg.Go(g.Close)
	wg.Wait()
	for i, p := range pools {
		if _, err := p.Acquire(context.Background()); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("pool %s after Close and Remove: %v", addrs[i], err)
		}
	}
}
