package httpx_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// Item 3: bodies larger than the drain limit are closed, counted, and
// leave nothing behind (goleak checks goroutines at exit; Open returns to
// zero).
func TestDrainLimit(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			const n = 100
			ts := startServer(t, "127.0.0.1:0", 1<<20, nil)
			tr := httpx.MustNew(httpx.Config{})
			defer tr.Close()
			url := ts.URL
			if chunked {
				url += "/?chunked=1"
			}
			if res := load(&http.Client{Transport: tr}, url, n, 4, false); res.errs != 0 {
				t.Fatalf("%d requests failed, first: %v", res.errs, res.firstErr)
			}
			s := waitClosed(t, tr)
			if s.DrainAborted != n || s.Drained != 0 {
				t.Errorf("DrainAborted = %d, Drained = %d, want %d and 0", s.DrainAborted, s.Drained, n)
			}
			if s.Opened != n || s.BrokenClosed != n || ts.newConns.Load() != n {
				t.Errorf("Opened = %d, BrokenClosed = %d, server saw %d connections; want %d each (a connection per aborted body)",
					s.Opened, s.BrokenClosed, ts.newConns.Load(), n)
			}
		})
	}
}

// A body within the limit but of unknown length is drained too.
func TestDrainChunkedWithinLimit(t *testing.T) {
	const n = 200
	ts := startServer(t, "127.0.0.1:0", 16<<10, nil)
	tr := httpx.MustNew(httpx.Config{})
	defer tr.Close()
	if res := load(&http.Client{Transport: tr}, ts.URL+"/?chunked=1", n, 1, false); res.errs != 0 {
		t.Fatalf("%d requests failed, first: %v", res.errs, res.firstErr)
	}
	if s := tr.Stats(); s.Drained != n || s.Opened != 1 || s.Reused != n-1 {
		t.Errorf("Drained = %d, Opened = %d, Reused = %d; want %d, 1, %d", s.Drained, s.Opened, s.Reused, n, n-1)
	}
}

// A body that stops arriving is given up after the drain timeout.
func TestDrainTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, "127.0.0.1:0", 0, func(srv *http.Server) {
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("y", 1000)))
			w.(http.Flusher).Flush()
			<-release
		})
	})
	defer close(release)
	tr := httpx.MustNew(httpx.Config{DrainTimeout: 50 * time.Millisecond})
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp.Body.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with a 50ms drain timeout", d)
	}
	if s := waitClosed(t, tr); s.DrainAborted != 1 || s.Drained != 0 || s.BrokenClosed != 1 {
		t.Errorf("stats after a stalled body: %+v", s)
	}
}

// waitClosed closes idle connections and waits (bounded) until the
// Transport has no connection open, as net/http closes aborted ones from
// its own goroutine.
func waitClosed(t *testing.T, tr *httpx.Transport) httpx.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		tr.CloseIdleConnections()
		s := tr.Stats()
		if s.Open == 0 {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("connections still open: %+v", s)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
