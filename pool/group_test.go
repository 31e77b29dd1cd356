package pool_test

import (
	"context"
	"errors"
	"testing"

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
	if len(st) != 2 || st[a.addr()].Opened != 1 || st[b.addr()].Acquires != 10 {
		t.Fatalf("stats: %+v", st)
	}
	if _, err := g.Acquire(context.Background(), "no-port"); err == nil {
		t.Fatal("invalid address accepted")
	}
	g.Close()
	if _, err := g.Acquire(context.Background(), a.addr()); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if s := g.Stats()[a.addr()]; s.PoolClosed != 1 || s.Open != 0 {
		t.Fatalf("after Close: %+v", s)
	}
	if _, err := pool.NewGroup(pool.Config{MaxIdle: -1}); err == nil {
		t.Fatal("invalid group config accepted")
	}
}
