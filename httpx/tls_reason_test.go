package httpx_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/httpx"
)

// TestTLSIdleClosesKeepTheirReason: over TLS, net/http's closes of idle
// connections (its idle timer, its idle cap) count their own reason, never
// PeerClosed. tls.Conn.Close writes a close_notify before it closes the
// TCP connection, and Go's server answers it by closing at once, so the
// server's FIN is often there by then (about half of the idle-timer
// closes counted PeerClosed when the peer's FIN was asked first). The
// side is whatever the kernel saw.
func TestTLSIdleClosesKeepTheirReason(t *testing.T) {
	const rounds = 30
	cases := []struct {
		name   string
		reason keepconn.Reason
		round  func(t *testing.T, tlsCfg *tls.Config, a, b *httptest.Server) *httpx.Transport
		open   int64
	}{
		{"idle timer", keepconn.ReasonMaxIdleTime, func(t *testing.T, tlsCfg *tls.Config, a, _ *httptest.Server) *httpx.Transport {
			tr := httpx.MustWrap(&http.Transport{TLSClientConfig: tlsCfg.Clone()}, httpx.Config{IdleConnTimeout: 20 * time.Millisecond})
			mustGet(t, tr, a.URL)
			return tr
		}, 0},
		{"idle cap", keepconn.ReasonMaxIdle, func(t *testing.T, tlsCfg *tls.Config, a, b *httptest.Server) *httpx.Transport {
			tr := httpx.MustWrap(&http.Transport{TLSClientConfig: tlsCfg.Clone(), MaxIdleConns: 1}, httpx.Config{MaxConnsPerHost: 1})
			mustGet(t, tr, a.URL)
			waitIdle(t, tr, 1)
			mustGet(t, tr, b.URL) // b's connection going idle evicts a's
			return tr
		}, 1},
	}
	var want [2]keepconn.ConnStats
	for i, c := range cases {
		want[i].AddClose(c.reason, keepconn.SideActive, 1)
		want[i] = reasonsOf(want[i])
	}
	a, b := startTLSServer(t), startTLSServer(t)
	tlsCfg := a.Client().Transport.(*http.Transport).TLSClientConfig // httptest's one certificate serves both
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sides [3]int
			for range rounds {
				tr := c.round(t, tlsCfg, a, b)
				waitOpen(t, tr, c.open)
				s := tr.Stats()
				if got := reasonsOf(s.ConnStats); got != want[i] {
					tr.Close()
					t.Fatalf("want one close, %v:\n got %+v\nwant %+v", c.reason, got, want[i])
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

func startTLSServer(t *testing.T) *httptest.Server {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
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
