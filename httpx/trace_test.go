package httpx_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keepconn/keepconn/httpx"
)

// A trace of the caller's own still sees its hooks called, next to the
// Transport's, and the response carries the request the caller sent.
func TestCallerTraceAndResponseRequest(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	tr := httpx.MustNew(httpx.Config{})
	defer tr.Close()
	var gets, gots atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GetConn: func(string) { gets.Add(1) },
		GotConn: func(httptrace.GotConnInfo) { gots.Add(1) },
	})
	const n = 5
	for i := range n {
		c := ctx
		if i%2 == 1 {
			c = context.Background()
		}
		req, err := http.NewRequestWithContext(c, http.MethodGet, ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Request != req {
			t.Errorf("resp.Request = %p, want the request sent (%p)", resp.Request, req)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if want := int64((n + 1) / 2); gets.Load() != want || gots.Load() != want {
		t.Errorf("caller's hooks: GetConn %d, GotConn %d times, want %d", gets.Load(), gots.Load(), want)
	}
	if s := tr.Stats(); s.Acquisitions != n || s.Reused != n-1 || s.InUse != 0 || s.Open != 1 {
		t.Errorf("Stats = %+v, want %d requests, %d reused, 1 open, none in use", s, n, n-1)
	}
}

// Requests made from the context of earlier responses, concurrently, are
// counted once each and leave no connection marked in use.
func TestContextOfResponseReused(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	tr := httpx.MustNew(httpx.Config{MaxConnsPerHost: 4})
	defer tr.Close()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range each {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ctx = resp.Request.Context()
			}
		})
	}
	wg.Wait()
	s := tr.Stats()
	if s.Acquisitions != workers*each+s.Retries || s.InUse != 0 || s.Reused+s.Opened < s.Acquisitions {
		t.Errorf("Stats = %+v after %d requests", s, workers*each)
	}
}
