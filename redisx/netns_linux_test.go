package redisx

import (
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// tinyRange is a namespace with 10 ephemeral ports and no TIME_WAIT reuse.
var tinyRange = netnstest.Config{PortLow: 40000, PortHigh: 40009, TWReuse: 0}

// What must be shown 1: with 10 local ports, a fresh connection per PING
// (a go-redis client per command, as scripts do) fails at the 11th with
// EADDRNOTAVAIL: each close left a TIME_WAIT on the client.
func TestShortConnectionsExhaustTenPorts(t *testing.T) {
	netnstest.Run(t, tinyRange, func(t *testing.T) {
		srv := redistest.StartT(t, redistest.Options{Port: 6379})
		ctx := testCtx(t)
		for i := 1; i <= 11; i++ {
			// PoolSize 2: one failed dial does not start go-redis's background
			// redial loop, which outlives Close by up to a second.
			c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialerRetries: 1, MaxRetries: -1, PoolSize: 2})
			err := c.Ping(ctx).Err()
			c.Close()
			switch {
			case err == nil && i == 11:
				t.Fatal("PING 11 succeeded with 10 local ports, all in TIME_WAIT")
			case err == nil:
			case i < 11:
				t.Fatalf("PING %d: %v", i, err)
			case !errors.Is(err, syscall.EADDRNOTAVAIL):
				t.Fatalf("PING 11: %v, want EADDRNOTAVAIL", err)
			}
		}
		// The last close can still be in FIN_WAIT2, until the server has
		// read its FIN and closed too.
		var n int
		for end := time.Now().Add(2 * time.Second); n < 10 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			cen, err := dialer.TimeWaitCensus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n = cen.ByPeer[netip.MustParseAddrPort(srv.Addr())]
		}
		if n != 10 {
			t.Errorf("%d client TIME_WAIT towards the server, want 10", n)
		}
	})
}

// What must be shown 1: with the same 10 ports, 10,000 PINGs through one
// redisx client succeed (8 at a time, PoolSize 4), and so do 300 PINGs
// through a fresh redisx client each: QUIT makes the server close first,
// so no TIME_WAIT blocks a port here.
func TestTenPortsEnoughThroughRedisx(t *testing.T) {
	netnstest.Run(t, tinyRange, func(t *testing.T) {
		srv := redistest.StartT(t, redistest.Options{Port: 6379})
		ctx := testCtx(t)
		c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 4}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < 10000; i += 8 {
					if err := c.Ping(ctx).Err(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		c.Close()
		s := c.Stats()
		if s.Opened > 4 || s.DialErrors != 0 || s.Acquisitions < 10000 {
			t.Errorf("10,000 PINGs: %+v", s)
		}
		for i := range 300 {
			c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 1, DialerRetries: 1, MaxRetries: -1}, Config{ReaperInterval: MinReaperInterval})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Ping(ctx).Err()
			c.Close()
			if err != nil {
				t.Fatalf("fresh redisx client %d: %v (%+v)", i, err, c.Stats().ConnStats)
			}
			if s := c.Stats(); s.ActiveCloses != 0 {
				t.Fatalf("fresh redisx client %d closed first: %+v; dialer %+v", i, s.ConnStats, c.Dialer().Stats())
			}
		}
	})
}
