package httpx_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// A server that dies in the middle of its second response on a kept
// connection: its header is cut short. net/http does not retry this (the
// request was written and the response had begun: "transport connection
// broken"); httpx sends the idempotent GET once more on a new connection.
// With DisableRetry the request fails: the retry is httpx's own.
func TestOwnRetryWhereNetHTTPDoesNot(t *testing.T) {
	var conns atomic.Int64
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		first := conns.Add(1) == 1
		for i := 0; ; i++ {
			if readRequest(br) != nil {
				return
			}
			if first && i == 1 {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-") // and the server dies
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	for _, disable := range []bool{true, false} {
		conns.Store(0)
		tr := httpx.MustNew(httpx.Config{DisableRetry: disable})
		client := &http.Client{Transport: tr}
		url := "http://" + addr + "/"
		if err := get(context.Background(), client, url, true); err != nil {
			t.Fatal(err)
		}
		err := get(context.Background(), client, url, true)
		s := tr.Stats()
		tr.Close()
		if disable {
			if err == nil || s.Retries != 0 {
				t.Fatalf("DisableRetry: err %v, Retries %d; want the cut response's error and no retry (net/http does not retry it)", err, s.Retries)
			}
			continue
		}
		if err != nil || s.Retries != 1 || s.Opened != 2 || s.PeerClosed != 1 {
			t.Fatalf("httpx retry: err %v, %+v; want success after 1 retry on a 2nd connection, the 1st closed by the peer", err, s)
		}
	}
}

// A retry net/http makes on its own (a kept connection the server closed
// after reading the request) counts in Retries even when its dial fails,
// and the connection found closed on reuse counts as PeerClosed, as in
// package pool.
func TestRetryWithFailedDialCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if readRequest(br) != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		ln.Close() // no new connection will be accepted
		readRequest(br)
		// closed with no response: net/http retries on a new dial
	}()
	defer func() { ln.Close(); <-done }()
	tr := httpx.MustNew(httpx.Config{DisableRetry: true})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + "/"
	if err := get(context.Background(), client, url, true); err != nil {
		t.Fatal(err)
	}
	if err := get(context.Background(), client, url, true); err == nil {
		t.Fatal("the second request succeeded with no server")
	}
	if s := tr.Stats(); s.Retries != 1 || s.DialErrors != 1 || s.Acquisitions != 2 {
		t.Fatalf("Retries %d, DialErrors %d, Acquisitions %d; want 1 retry whose dial failed", s.Retries, s.DialErrors, s.Acquisitions)
	}
	// The kept connection the server closed, found so on reuse: PeerClosed.
	if s := waitOpen(t, tr, 0); s.PeerClosed != 1 || s.BrokenClosed != 0 || s.PassiveCloses != 1 {
		t.Fatalf("a connection the server closed under a reuse: %+v", s.ConnStats)
	}
}

// A failed HTTP/2 request (its stream cancelled) leaves the shared
// connection as it was: it serves the next requests and, closed by
// CloseIdleConnections, counts as Closed, not broken.
func TestHTTP2FailedStreamDoesNotBreakConn(t *testing.T) {
	arrived := make(chan struct{}, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("slow") != "" {
			arrived <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		io.WriteString(w, "ok")
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	base := &http.Transport{TLSClientConfig: ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()}
	tr := httpx.MustWrap(base, httpx.Config{})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	if err := get(context.Background(), client, ts.URL, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-arrived; cancel() }() // the stream is open at the server
	if err := get(ctx, client, ts.URL+"/?slow=1", true); err == nil {
		t.Fatal("the slow request did not fail")
	}
	for range 3 {
		if err := get(context.Background(), client, ts.URL, true); err != nil {
			t.Fatal(err)
		}
	}
	s := closeIdleHTTP2(t, tr)
	if s.Opened != 1 || s.Closed != 1 || s.BrokenClosed != 0 || s.Acquisitions != 5 || s.Reused != 4 {
		t.Fatalf("HTTP/2: %+v; want 1 connection, 5 streams of which 4 reused, closed as Closed", s)
	}
}

// closeIdleHTTP2 closes the transport's idle connections until none is
// open. An HTTP/2 stream leaves its connection's stream table in the
// request's own goroutine after the response body is closed, so a
// CloseIdleConnections right after the last request can find the
// connection still busy and leave it open; HTTP/1 returns the connection
// to the idle pool before the body's Read reports EOF.
func closeIdleHTTP2(t *testing.T, tr *httpx.Transport) httpx.Stats {
	t.Helper()
	return waitOpenDoing(t, tr, 0, tr.CloseIdleConnections)
}
