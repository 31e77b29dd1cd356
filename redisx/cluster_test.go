package redisx

import (
	"strconv"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// What must be shown 5: a cluster client dials every node through the
// keepconn dialer, and the dialer's Opened equals the connections the
// nodes accepted.
func TestClusterClientDialsThroughKeepconn(t *testing.T) {
	cl := redistest.StartClusterT(t, 3, redistest.Options{})
	ctx := testCtx(t)
	before, err := cl.ConnectionsReceived(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), PoolSize: 4}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := c.Set(ctx, "key"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	checkIdentities(t, s)
	after, err := cl.ConnectionsReceived(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range cl.Nodes {
		if keys, err := n.Do(ctx, "DBSIZE"); err != nil || keys.(int64) == 0 {
			t.Errorf("node %s holds %v keys (%v): the client did not spread over the cluster", n.Addr(), keys, err)
		}
	}
	nodes := int64(len(cl.Nodes)) // the first query's own connections
	if d := c.Dialer().Stats(); d.Opened != s.Opened || after-before-nodes != s.Opened {
		t.Errorf("dialer Opened %d, redisx Opened %d, nodes accepted %d", d.Opened, s.Opened, after-before-nodes)
	}
	if s.Opened < nodes || s.PassiveCloses != s.TotalClosed() {
		t.Errorf("Opened %d, want at least one per node; every close passive: %+v", s.Opened, s.ConnStats)
	}
}

// What must be shown 5: a TLS client does its handshake over a keepconn
// connection (go-redis skips TLSConfig for a custom Dialer).
func TestTLSClientDialsThroughKeepconn(t *testing.T) {
	srv := redistest.StartT(t, redistest.Options{TLS: true})
	ctx := testCtx(t)
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 4, TLSConfig: srv.TLSConfig}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := c.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	checkIdentities(t, s)
	got, err := srv.ConnectionsReceived(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Dialer().Stats(); d.Opened != s.Opened || got-1 != s.Opened || s.Opened == 0 {
		t.Errorf("dialer Opened %d, redisx Opened %d, server accepted %d", d.Opened, s.Opened, got-1)
	}
	if s.BrokenClosed != 0 || s.Reused < 190 {
		t.Errorf("TLS connections not reused: %+v", s)
	}
	if s.PassiveCloses != s.TotalClosed() {
		t.Errorf("QUIT through TLS did not make the server close first: %+v", s.ConnStats)
	}
}

// Under TLS redisx checks idle connections itself before reuse: after
// CLIENT KILL the next commands succeed and the kills count as
// PeerClosed, without the reaper.
func TestTLSReuseCheckAfterClientKill(t *testing.T) {
	srv := redistest.StartT(t, redistest.Options{TLS: true})
	ctx := testCtx(t)
	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 3, MinIdleConns: 3, TLSConfig: srv.TLSConfig, MaxRetries: -1},
		Config{ReaperInterval: time.Hour, WarmupInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, func() bool { return c.Stats().Idle == 3 })
	if _, err := srv.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if failed := bursts(ctx, c, 3, 3, 0); failed != 0 {
		t.Fatalf("%d commands failed after CLIENT KILL", failed)
	}
	if s := c.Stats(); s.PeerClosed != 3 || s.BrokenClosed != 0 {
		t.Errorf("after killing 3 idle TLS connections: %+v", s.ConnStats)
	}
}
