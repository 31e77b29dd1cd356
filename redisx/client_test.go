package redisx

import (
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestClientDialsThroughKeepconn(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 4}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		k := "k" + strconv.Itoa(i%10)
		if err := c.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, k).Result(); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Stats()
	if s.Opened == 0 || s.Opened > 4 {
		t.Errorf("Opened = %d, want 1…4", s.Opened)
	}
	if d := c.Dialer().Stats(); d.Opened != s.Opened {
		t.Errorf("dialer Opened %d != redisx Opened %d", d.Opened, s.Opened)
	}
	if s.Acquisitions < 2000 || s.Reused < 2000-4 {
		t.Errorf("Acquisitions %d, Reused %d; want ≥ 2000 and ≥ 1996", s.Acquisitions, s.Reused)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s = c.Stats()
	checkIdentities(t, s)
	if s.Open != 0 || s.Closed != s.Opened {
		t.Errorf("after Close: Open %d, Closed %d, Opened %d", s.Open, s.Closed, s.Opened)
	}
	got, err := srv.ConnectionsReceived(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got-1 != s.Opened { // the harness's readiness PING
		t.Errorf("server accepted %d connections, dialer opened %d", got-1, s.Opened)
	}
	t.Logf("stats %+v tuning %+v", s, c.Tuning())
}

// Pipelines run on go-redis's separate pipeline pool: its connections
// dial through keepconn too, and its acquisitions count.
func TestPipelinePoolCounted(t *testing.T) {
	srv := server(t, nil)
	ctx := testCtx(t)
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 2}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c.Ping(ctx)
	before := c.Stats()
	for range 20 {
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range 10 {
				p.Get(ctx, "missing")
			}
			return nil
		}); err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
	c.Close()
	s := c.Stats()
	checkIdentities(t, s)
	if s.Acquisitions-before.Acquisitions < 20 || s.Opened < 2 {
		t.Errorf("20 pipelines: %d acquisitions, %d dials (command pool and pipeline pool)", s.Acquisitions-before.Acquisitions, s.Opened)
	}
	if got, _ := srv.ConnectionsReceived(ctx); got-1 != s.Opened {
		t.Errorf("server accepted %d, Opened %d", got-1, s.Opened)
	}
}
