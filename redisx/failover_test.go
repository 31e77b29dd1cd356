package redisx

import (
	"testing"

	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// A failover client dials the sentinel and the master it names through
// the keepconn dialer.
func TestFailoverClientDialsThroughKeepconn(t *testing.T) {
	master := server(t, nil)
	sentinel := redistest.StartSentinelT(t, master, "keepconn")
	ctx := testCtx(t)
	m0, _ := master.ConnectionsReceived(ctx)
	s0, _ := sentinel.ConnectionsReceived(ctx)
	c, err := NewFailoverClient(&redis.FailoverOptions{MasterName: "keepconn",
		SentinelAddrs: []string{sentinel.Addr()}, PoolSize: 3}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := c.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	s := c.Stats()
	checkIdentities(t, s)
	m1, _ := master.ConnectionsReceived(ctx)
	s1, _ := sentinel.ConnectionsReceived(ctx)
	// Each ConnectionsReceived query adds one connection of its own.
	accepted := (m1 - m0 - 1) + (s1 - s0 - 1)
	if d := c.Dialer().Stats(); d.Opened != s.Opened || accepted != s.Opened || s.Opened < 2 {
		t.Errorf("dialer Opened %d, redisx Opened %d, master and sentinel accepted %d", d.Opened, s.Opened, accepted)
	}
	if s.Reused < 95 {
		t.Errorf("connections not reused: %+v", s)
	}
	t.Logf("failover client: %+v", s.ConnStats)
}
