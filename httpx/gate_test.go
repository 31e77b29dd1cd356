package httpx_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
)

// While a backend restarts (a 500 ms outage: connections refused), 16
// workers' requests share one probe dial at a time and back off after
// repeated failures: a handful of dials, where a plain Transport dials
// once per request. After the outage the requests succeed again.
func TestDialGateDuringOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the backend is down

	tr := httpx.MustNew(httpx.Config{})
	defer tr.Close()
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	plain := &http.Transport{DialContext: d.DialContext}
	defer plain.CloseIdleConnections()

	url := "http://" + addr + "/"
	gated := outage(&http.Client{Transport: tr}, url, 500*time.Millisecond)
	s := tr.Stats()
	dials := s.Opened + s.DialErrors
	ungated := outage(&http.Client{Transport: plain}, url, 500*time.Millisecond)
	t.Logf("500 ms outage, 16 workers: httpx %d requests, %d dials (%d waits for a probe, %d backoffs); plain Transport %d requests, %d dials",
		gated, dials, s.DialWaits, s.DialBackoffs, ungated, d.Stats().DialErrors)
	if dials > 12 || gated < 100 || s.DialBackoffs == 0 || s.DialWaits+s.DialBackoffs < gated-dials {
		t.Errorf("httpx: %d dials for %d requests during the outage: %+v", dials, gated, s)
	}

	// The backend comes back on the same address.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	go srv.Serve(ln)
	defer srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := get(context.Background(), &http.Client{Transport: tr}, url, true)
		if err == nil {
			break
		}
		if !errors.Is(err, httpx.ErrDialBackoff) || time.Now().After(deadline) {
			t.Fatalf("after the outage: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outage sends requests from 16 workers for d and returns how many were
// sent; each failure is followed by a 1 ms pause.
func outage(client *http.Client, url string, d time.Duration) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				n.Add(1)
				if err := get(context.Background(), client, url, true); err != nil {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return n.Load()
}

// Requests above MaxConnsPerHost wait for a connection to be freed: each
// is counted in WaitCount with its wait, and served by the freed
// connection (Reused), without a dial.
func TestWaitAtPerHostCap(t *testing.T) {
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	ts := startServer(t, "127.0.0.1:0", 0, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("hold") != "" {
				started <- struct{}{}
				<-release
			}
		})
	})
	tr := httpx.MustNew(httpx.Config{MaxConnsPerHost: 1})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	wg.Go(func() { get(context.Background(), client, ts.URL+"/?hold=1", true) })
	<-started // the only connection is busy
	const waiters = 3
	for range waiters {
		wg.Go(func() {
			if err := get(context.Background(), client, ts.URL, true); err != nil {
				t.Error(err)
			}
		})
	}
	waitWaiters(t, tr, waiters)
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	s := tr.Stats()
	if s.WaitCount != waiters || s.WaitDuration < waiters*50*time.Millisecond || s.Opened != 1 || s.Reused != waiters || s.Acquisitions != waiters+1 {
		t.Fatalf("WaitCount %d, WaitDuration %v, Opened %d, Reused %d, Acquisitions %d; want %d waits of about 100 ms each, 1 dial, %d reused",
			s.WaitCount, s.WaitDuration, s.Opened, s.Reused, s.Acquisitions, waiters, waiters)
	}
	if s.MaxConnsPerHost != 1 {
		t.Fatalf("MaxConnsPerHost = %d", s.MaxConnsPerHost)
	}
}

// waitWaiters waits (bounded) until n requests wait at the cap.
func waitWaiters(t *testing.T, tr *httpx.Transport, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tr.Waiters() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait at the cap, want %d", tr.Waiters(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A request that gives up while waiting at the cap is a Timeout; the one
// holding the connection is not.
func TestTimeoutWaitingAtCap(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	ts := startServer(t, "127.0.0.1:0", 0, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("hold") != "" {
				started <- struct{}{}
				<-release
			}
		})
	})
	tr := httpx.MustNew(httpx.Config{MaxConnsPerHost: 1})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	wg.Go(func() { get(context.Background(), client, ts.URL+"/?hold=1", true) })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := get(ctx, client, ts.URL, true)
	close(release)
	wg.Wait()
	if s := tr.Stats(); err == nil || s.Timeouts != 1 || s.WaitCount != 0 || s.Acquisitions != 1 {
		t.Fatalf("err %v, %+v; want 1 timeout, no completed wait, 1 acquisition", err, s)
	}
}
