package httpx_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/httpx"
)

// TestTLSClosesKeepTheirReason: over TLS, the client's own closes count
// their own reason, never PeerClosed: net/http's closes of idle
// connections (its idle timer, its idle cap) and of a connection whose
// request was cancelled in the middle of its response (broken). tls.Conn.Close
// writes a close_notify before it closes the TCP connection, and Go's
// server answers it by closing at once, so the server's FIN is often
// there by the time of the socket's close (about half of the idle-timer
// closes and a tenth of the cancelled ones counted PeerClosed when the
// peer's FIN was read there). The same holds over HTTP/2. The other way
// round, a TLS server's close of an idle connection counts PeerClosed: the
// server's close_notify comes before its FIN, and net/http closes on the
// close_notify, often before that FIN is in (every such close counted
// Broken when the FIN was looked for before the client's own goodbye).
// The side is whatever the kernel saw.
func TestTLSClosesKeepTheirReason(t *testing.T) {
	const rounds = 30
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	a, b := startTLSServer(t, false, ok), startTLSServer(t, false, ok)
	h2 := startTLSServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("request over %s, want HTTP/2", r.Proto)
		}
		io.WriteString(w, "ok")
	})
	slow := startTLSServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the body never ends
	})
	quick := httptest.NewUnstartedServer(http.HandlerFunc(ok))
	quick.Config.IdleTimeout = 20 * time.Millisecond
	quick.StartTLS()
	t.Cleanup(quick.Close)
	tlsCfg := a.Client().Transport.(*http.Transport).TLSClientConfig // httptest's one certificate serves them all
	transport := func(ht *http.Transport, cfg httpx.Config) *httpx.Transport {
		ht.TLSClientConfig = tlsCfg.Clone()
		return httpx.MustWrap(ht, cfg)
	}
	cases := []struct {
		name   string
		reason keepconn.Reason
		round  func(t *testing.T) *httpx.Transport
		open   int64
	}{
		{"idle timer", keepconn.ReasonMaxIdleTime, func(t *testing.T) *httpx.Transport {
			tr := transport(&http.Transport{}, httpx.Config{IdleConnTimeout: 20 * time.Millisecond})
			mustGet(t, tr, a.URL)
			return tr
		}, 0},
		{"idle cap", keepconn.ReasonMaxIdle, func(t *testing.T) *httpx.Transport {
			tr := transport(&http.Transport{MaxIdleConns: 1}, httpx.Config{MaxConnsPerHost: 1})
			mustGet(t, tr, a.URL)
			waitIdle(t, tr, 1)
			mustGet(t, tr, b.URL) // b's connection going idle evicts a's
			return tr
		}, 1},
		{"HTTP/2 idle timer", keepconn.ReasonMaxIdleTime, func(t *testing.T) *httpx.Transport {
			tr := transport(&http.Transport{}, httpx.Config{IdleConnTimeout: 20 * time.Millisecond})
			mustGet(t, tr, h2.URL)
			if s := tr.Stats(); s.Opened != 1 {
				t.Fatalf("Opened %d, want 1", s.Opened)
			}
			return tr
		}, 0},
		{"HTTP/1 server's idle close", keepconn.ReasonPeerClosed, func(t *testing.T) *httpx.Transport {
			tr := transport(&http.Transport{}, httpx.Config{})
			mustGet(t, tr, quick.URL)
			return tr
		}, 0},
		{"request cancelled in its response", keepconn.ReasonBroken, func(t *testing.T) *httpx.Transport {
			tr := transport(&http.Transport{}, httpx.Config{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, slow.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			cancel() // the headers came, the body never ends: net/http closes the connection
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return tr
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want keepconn.ConnStats
			want.AddClose(c.reason, keepconn.SideActive, 1)
			want = reasonsOf(want)
			var sides [3]int
			for range rounds {
				tr := c.round(t)
				waitOpen(t, tr, c.open)
				s := tr.Stats()
				if got := reasonsOf(s.ConnStats); got != want {
					tr.Close()
					t.Fatalf("want one close, %v:\n got %+v\nwant %+v", c.reason, got, want)
				}
				sides[0] += int(s.ActiveCloses)
				sides[1] += int(s.PassiveCloses)
				sides[2] += int(s.AbortiveCloses)
				tr.Close()
			}
			t.Logf("%d rounds: sides active %d, passive %d, abortive %d", rounds, sides[0], sides[1], sides[2])
		})
	}
}

// startTLSServer starts an httptest TLS server with h, speaking HTTP/2
// when h2 is set, else HTTP/1.1.
func startTLSServer(t *testing.T, h2 bool, h http.HandlerFunc) *httptest.Server {
	ts := httptest.NewUnstartedServer(h)
	ts.EnableHTTP2 = h2
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func mustGet(t *testing.T, tr *httpx.Transport, url string) {
	t.Helper()
	if err := get(context.Background(), &http.Client{Transport: tr}, url, true); err != nil {
		t.Fatal(err)
	}
}

// reasonsOf is s's closes by reason, its other fields left out.
func reasonsOf(s keepconn.ConnStats) keepconn.ConnStats {
	return keepconn.ConnStats{MaxIdleClosed: s.MaxIdleClosed, MaxIdleTimeClosed: s.MaxIdleTimeClosed,
		MaxLifetimeClosed: s.MaxLifetimeClosed, PeerClosed: s.PeerClosed, BrokenClosed: s.BrokenClosed, Closed: s.Closed}
}
