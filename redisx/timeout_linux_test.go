package redisx

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/redis/go-redis/v9"
)

// closeWaitWatch samples the sockets in CLOSE_WAIT towards server every
// 20 ms until stop, and returns the longest time one was seen there.
func closeWaitWatch(t *testing.T, server netip.AddrPort, stop <-chan struct{}) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		first := map[netip.AddrPort]time.Time{}
		var longest time.Duration
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now()
			seen := map[netip.AddrPort]bool{}
			err := sockdiag.Dump(context.Background(), 1<<sockdiag.StateCloseWait, func(s sockdiag.Socket) {
				if s.State == sockdiag.StateCloseWait && s.Remote == server {
					seen[s.Local] = true
				}
			})
			if err != nil {
				t.Error(err)
			}
			for local := range seen {
				if _, ok := first[local]; !ok {
					first[local] = now
				}
				longest = max(longest, now.Sub(first[local]))
			}
			for local := range first {
				if !seen[local] {
					delete(first, local)
				}
			}
			select {
			case <-stop:
				out <- longest
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// What must be shown 3: with the server's timeout at 2 s and 3 s between
// bursts, no command fails, every close is attributed (the server's as
// PeerClosed, redisx's own idle expiry as MaxIdleTimeClosed, none left on
// the client's side), and no connection sits in CLOSE_WAIT longer than a
// reaper interval. Plain go-redis leaves them there until reuse.
func TestServerTimeoutGaps(t *testing.T) {
	srv := server(t, map[string]string{"timeout": "2"})
	ctx := testCtx(t)
	addr := netip.MustParseAddrPort(srv.Addr())
	const reaper = 200 * time.Millisecond

	c, err := NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 10}, Config{ReaperInterval: reaper})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	longest := closeWaitWatch(t, addr, stop)
	if failed := bursts(ctx, c, 3, 20, 3*time.Second); failed != 0 {
		t.Errorf("%d commands failed", failed)
	}
	close(stop)
	s := c.Stats()
	if lw := <-longest; lw > reaper+250*time.Millisecond { // scheduling slack on a loaded machine
		t.Errorf("a connection sat in CLOSE_WAIT for %v, reaper interval %v", lw, reaper)
	}
	if tu := c.Tuning(); tu.ServerTimeout != 2*time.Second || tu.ConnMaxIdleTime != time.Second {
		t.Errorf("tuning %+v", tu)
	}
	if s.TotalClosed() == 0 || s.PeerClosed+s.MaxIdleTimeClosed != s.TotalClosed() || s.ActiveCloses != 0 {
		t.Errorf("closes across the gaps: %+v", s.ConnStats)
	}
	t.Logf("redisx across 2 gaps: %d dials, PeerClosed %d (reaped %d), MaxIdleTimeClosed %d, passive %d",
		s.Opened, s.PeerClosed, s.Reaped, s.MaxIdleTimeClosed, s.PassiveCloses)

	plain := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 10})
	defer plain.Close()
	bursts(ctx, plain, 1, 20, 0)
	stop = make(chan struct{})
	longest = closeWaitWatch(t, addr, stop)
	time.Sleep(4 * time.Second)
	close(stop)
	lw := <-longest
	t.Logf("plain go-redis: a connection sat in CLOSE_WAIT for %v of a 4 s gap", lw)
	if lw < 500*time.Millisecond {
		t.Errorf("plain go-redis left no CLOSE_WAIT (%v): the watch does not see them", lw)
	}
}
