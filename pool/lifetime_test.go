package pool_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

// Item 6: 100 connections dialed together with MaxLifetime 1s and jitter
// 500ms are closed spread over [1s, 1.5s], not in one tick.
func TestLifetimeJitter(t *testing.T) {
	const n = 100
	const lifetime, jitter = time.Second, 500 * time.Millisecond
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: n, MaxLifetime: lifetime, MaxLifetimeJitter: jitter})
	var held []pool.Conn
	for range n {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	first, last := held[0].CreatedAt(), held[n-1].CreatedAt()
	for _, c := range held {
		c.Release()
	}
	eventually(t, "every connection to expire", func() bool { return len(srv.endTimes()) == n })
	ends := srv.endTimes()
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	if early := ends[0].Sub(first); early < lifetime {
		t.Fatalf("first close %v after the first dial, before the lifetime %v", early, lifetime)
	}
	if late := ends[n-1].Sub(last); late > lifetime+jitter+500*time.Millisecond {
		t.Errorf("last close %v after the last dial", late)
	}
	spread := ends[n-1].Sub(ends[0])
	buckets := map[int64]int{}
	for _, e := range ends {
		buckets[e.Sub(ends[0]).Milliseconds()/25]++
	}
	most := 0
	for _, v := range buckets {
		most = max(most, v)
	}
	t.Logf("dials over %v; closes spread over %v in %d windows of 25ms, at most %d in one", last.Sub(first), spread, len(buckets), most)
	if spread < jitter/2 || len(buckets) < 8 || most > n/2 {
		t.Fatalf("closes not spread: %v, %d windows of 25ms, %d in the busiest", spread, len(buckets), most)
	}
	// A close is counted once its side is known, after its FIN reached
	// the server.
	eventually(t, "every close counted", func() bool { return p.Stats().TotalClosed() == n })
	if s := p.Stats(); s.MaxLifetimeClosed != n {
		t.Fatalf("MaxLifetimeClosed %d, want %d", s.MaxLifetimeClosed, n)
	}
}
