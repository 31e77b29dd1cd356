package httpx_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// A connection that expires while a request uses it, with another request
// waiting for it at the cap, is not closed under the waiter: the waiter
// gets it and asks the server to close it ("Connection: close"); no
// request fails or is retried, and the close counts as MaxLifetimeClosed.
func TestLifetimeHandsExpiredConnWithConnectionClose(t *testing.T) {
	var closeAsked atomic.Int64
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	ts := startServer(t, "127.0.0.1:0", 0, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Close {
				closeAsked.Add(1)
			}
			if r.URL.Query().Get("slow") != "" {
				started <- struct{}{}
				<-release
			}
		})
	})
	tr := httpx.MustNew(httpx.Config{MaxConnsPerHost: 1, MaxConnLifetime: 50 * time.Millisecond})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	var errs atomic.Int64
	wg.Go(func() {
		if get(context.Background(), client, ts.URL+"/?slow=1", true) != nil {
			errs.Add(1)
		}
	})
	<-started
	wg.Go(func() {
		if get(context.Background(), client, ts.URL, true) != nil {
			errs.Add(1)
		}
	})
	waitWaiters(t, tr, 1)
	time.Sleep(100 * time.Millisecond) // past the connection's deadline
	close(release)
	wg.Wait()
	s := waitOpen(t, tr, 0)
	if errs.Load() != 0 || s.Retries != 0 || s.Opened != 1 || s.MaxLifetimeClosed != 1 || s.WaitCount != 1 || closeAsked.Load() != 1 {
		t.Fatalf("errors %d, Connection: close asked %d times, %+v; want the waiter to get the expired connection and ask for its close",
			errs.Load(), closeAsked.Load(), s)
	}
	checkIdentities(t, s)
}

// Jitter spreads the deadlines of connections opened together.
func TestLifetimeJitter(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 0, nil)
	tr := httpx.MustNew(httpx.Config{MaxConnLifetime: 50 * time.Millisecond, MaxConnLifetimeJitter: 400 * time.Millisecond})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { get(context.Background(), client, ts.URL, true) })
	}
	wg.Wait()
	time.Sleep(60 * time.Millisecond)
	// Some have a deadline later than 60 ms (chance all 8 jitters < 10 ms: 0.025^8).
	if s := tr.Stats(); s.Open == 0 {
		t.Fatalf("all connections expired together: %+v", s)
	}
	s := waitOpen(t, tr, 0)
	if s.MaxLifetimeClosed != s.Opened {
		t.Fatalf("MaxLifetimeClosed %d of %d", s.MaxLifetimeClosed, s.Opened)
	}
}
