package httpx_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
)

// The churn vocabulary, event by event: each event closes exactly one
// connection and moves exactly one close-reason counter, with the side the
// kernel saw; afterwards Opened == TotalClosed + Open and the closes by
// reason equal the closes by side. The same events as in package pool.
func TestVocabulary(t *testing.T) {
	cases := []struct {
		name   string
		reason keepconn.Reason
		side   keepconn.Side
		run    func(t *testing.T) *httpx.Transport
		open   int64 // connections still open after the event
	}{
		{"idle cap eviction", keepconn.ReasonMaxIdle, keepconn.SideActive, idleCapEviction, 1},
		{"idle timeout", keepconn.ReasonMaxIdleTime, keepconn.SideActive, func(t *testing.T) *httpx.Transport {
			return oneRequest(t, httpx.Config{IdleConnTimeout: 100 * time.Millisecond}, nil)
		}, 0},
		{"lifetime, idle at its deadline", keepconn.ReasonMaxLifetime, keepconn.SideActive, func(t *testing.T) *httpx.Transport {
			return oneRequest(t, httpx.Config{MaxConnLifetime: 100 * time.Millisecond}, nil)
		}, 0},
		{"lifetime, in use at its deadline", keepconn.ReasonMaxLifetime, keepconn.SideActive, func(t *testing.T) *httpx.Transport {
			return oneRequest(t, httpx.Config{MaxConnLifetime: 50 * time.Millisecond}, func(s *http.Server) {
				s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) })
			})
		}, 0},
		{"peer FIN", keepconn.ReasonPeerClosed, keepconn.SidePassive, func(t *testing.T) *httpx.Transport {
			return oneRequest(t, httpx.Config{}, func(s *http.Server) { s.IdleTimeout = 100 * time.Millisecond })
		}, 0},
		{"peer RST", keepconn.ReasonPeerClosed, keepconn.SidePassive, peerReset, 0},
		{"broken write", keepconn.ReasonBroken, keepconn.SideActive, brokenWrite, 0},
		{"application close", keepconn.ReasonClosed, keepconn.SideActive, func(t *testing.T) *httpx.Transport {
			tr := oneRequest(t, httpx.Config{}, nil)
			tr.Close()
			return tr
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := c.run(t)
			defer tr.Close()
			s := waitOpen(t, tr, c.open)
			time.Sleep(50 * time.Millisecond) // no second close comes
			s = tr.Stats()
			want := keepconn.ConnStats{Opened: c.open + 1, Open: c.open}
			want.AddClose(c.reason, c.side, 1)
			got := s.ConnStats
			if got != want {
				t.Errorf("after %s:\n got %+v\nwant %+v", c.name, got, want)
			}
			checkIdentities(t, s)
		})
	}
}

// checkIdentities asserts the vocabulary's two sums.
func checkIdentities(t *testing.T, s httpx.Stats) {
	t.Helper()
	if s.Opened != s.TotalClosed()+s.Open || s.TotalClosed() != s.ActiveCloses+s.PassiveCloses+s.AbortiveCloses {
		t.Errorf("identities broken: %+v", s.ConnStats)
	}
}

// oneRequest sends one GET through a new Transport, reads and closes the
// body, and returns the Transport.
func oneRequest(t *testing.T, cfg httpx.Config, setup func(*http.Server)) *httpx.Transport {
	t.Helper()
	ts := startServer(t, "127.0.0.1:0", 64, setup)
	tr := httpx.MustNew(cfg)
	if err := get(context.Background(), &http.Client{Transport: tr}, ts.URL, true); err != nil {
		t.Fatal(err)
	}
	if s := tr.Stats(); s.Opened != 1 {
		t.Fatalf("%d dials", s.Opened)
	}
	return tr
}

// waitOpen waits (bounded) until the Transport has n connections open,
// without closing any itself.
func waitOpen(t *testing.T, tr *httpx.Transport, n int64) httpx.Stats {
	t.Helper()
	return waitOpenDoing(t, tr, n, func() {})
}

// waitOpenDoing is waitOpen calling each before every look at the stats.
func waitOpenDoing(t *testing.T, tr *httpx.Transport, n int64, each func()) httpx.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		each()
		s := tr.Stats()
		if s.Open == n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d: %+v", s.Open, n, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idleCapEviction: with room for one idle connection across hosts, a
// second host's connection going idle evicts the first host's.
func idleCapEviction(t *testing.T) *httpx.Transport {
	a := startServer(t, "127.0.0.1:0", 64, nil)
	b := startServer(t, "127.0.0.1:0", 64, nil)
	tr := httpx.MustWrap(&http.Transport{MaxIdleConns: 1}, httpx.Config{MaxConnsPerHost: 1})
	client := &http.Client{Transport: tr}
	if err := get(context.Background(), client, a.URL, true); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, tr, 1)
	if err := get(context.Background(), client, b.URL, true); err != nil {
		t.Fatal(err)
	}
	return tr
}

// waitIdle waits (bounded) until n connections are idle.
func waitIdle(t *testing.T, tr *httpx.Transport, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tr.Stats().Idle != n {
		if time.Now().After(deadline) {
			t.Fatalf("Stats %+v, want %d idle", tr.Stats(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// peerReset: a server that answers one request with keep-alive, then
// resets the connection while it is idle.
func peerReset(t *testing.T) *httpx.Transport {
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if readRequest(br) != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		time.Sleep(100 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0)
	})
	tr := httpx.MustNew(httpx.Config{})
	if err := get(context.Background(), &http.Client{Transport: tr}, "http://"+addr+"/", true); err != nil {
		t.Fatal(err)
	}
	return tr
}

// brokenWrite: the request body fails half-way; net/http closes the
// connection, which the server had not closed.
func brokenWrite(t *testing.T) *httpx.Transport {
	ts := startServer(t, "127.0.0.1:0", 64, nil)
	tr := httpx.MustNew(httpx.Config{})
	body := io.MultiReader(strings.NewReader(strings.Repeat("x", 1000)), errReader{})
	req, err := http.NewRequest(http.MethodPost, ts.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 1 << 20
	resp, err := tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a request whose body failed succeeded")
	}
	if !errors.Is(err, errBody) {
		t.Logf("error: %v", err)
	}
	return tr
}

var errBody = errors.New("body failed")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBody }

// rawServer serves each accepted connection with handle, on loopback.
func rawServer(t *testing.T, handle func(net.Conn, *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// readRequest reads one request's header and body.
func readRequest(br *bufio.Reader) error {
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

// With the dialer's peer-first close (AwaitPeerClose), a close's side is
// known only when the server's FIN arrives, after Close returned: the
// Transport counts the close then, as the dialer reports it.
func TestCloseCountedWhenTheDialerReports(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 64, func(s *http.Server) { s.IdleTimeout = time.Second })
	tr := httpx.MustNew(httpx.Config{DialerConfig: &dialer.Config{AwaitPeerClose: 5 * time.Second}})
	defer tr.Close()
	if err := get(context.Background(), &http.Client{Transport: tr}, ts.URL, true); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	if s := tr.Stats(); s.Open != 1 || s.TotalClosed() != 0 {
		t.Fatalf("counted before the dialer reported: %+v", s.ConnStats)
	}
	s := waitOpen(t, tr, 0)
	if s.Closed != 1 || s.PassiveCloses != 1 {
		t.Fatalf("after the server's FIN: %+v", s.ConnStats)
	}
	checkIdentities(t, s)
}
