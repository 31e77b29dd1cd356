package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// The server closes connections idle for 1 s; the client pauses about
// that long between bursts, so it often sends on a connection the server
// is closing. No GET may fail, no POST without GetBody may reach the
// server twice (the server counts every POST id: a retry rule too loose
// fails here), and the server's closes count as PeerClosed. (net/http
// retries most of these GETs on its own; TestOwnRetryWhereNetHTTPDoesNot
// tests httpx's retry.)
func TestServerIdleTimeout(t *testing.T) {
	const bursts, perBurst, workers = 5, 500, 16
	ts := startServer(t, "127.0.0.1:0", 512, func(s *http.Server) { s.IdleTimeout = time.Second })
	tr := httpx.MustNew(httpx.Config{})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	var getFails, postFails atomic.Int64
	var firstErr atomic.Value
	var postID atomic.Int64
	for b := range bursts {
		// 0.95 s … 1.05 s: around the server's idle timeout.
		time.Sleep(950*time.Millisecond + time.Duration(b%5)*25*time.Millisecond)
		var wg sync.WaitGroup
		var next atomic.Int64
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= perBurst {
					if err := get(context.Background(), client, ts.URL, true); err != nil {
						getFails.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
					if err := postOnce(client, ts.URL, postID.Add(1)); err != nil {
						postFails.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}
	if n := getFails.Load(); n != 0 {
		t.Errorf("%d of %d GETs failed, first: %v", n, bursts*perBurst, firstErr.Load())
	}
	ts.posts.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Load(); n > 1 {
			t.Errorf("POST %v reached the server %d times", k, n)
		}
		return true
	})
	s := tr.Stats()
	if s.PeerClosed == 0 {
		t.Errorf("the server never closed an idle connection first: the test did not exercise its case: %+v", s)
	}
	t.Logf("%d GETs + %d POSTs: %d POSTs failed (not retried); retries %d, peer closes %d, dials %d",
		bursts*perBurst, postID.Load(), postFails.Load(), s.Retries, s.PeerClosed, s.Opened)
}

// postOnce sends a POST whose body cannot be replayed: no GetBody.
func postOnce(client *http.Client, url string, id int64) error {
	body := io.NopCloser(strings.NewReader("payload")) // hides the type: no GetBody
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/?id=%d", url, id), body)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// flaky fails the first attempt of every request as a reused connection
// closed by the server would, after reporting how far the write got.
type flaky struct {
	attempts     atomic.Int64
	wroteHeaders bool
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	n := f.attempts.Add(1)
	trace := httptrace.ContextClientTrace(req.Context())
	trace.GotConn(httptrace.GotConnInfo{Reused: n == 1})
	if n == 1 {
		if f.wroteHeaders {
			trace.WroteHeaders()
		}
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("read: %w", io.EOF)
	}
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, ProtoMajor: 1, Body: io.NopCloser(strings.NewReader("ok")), Request: req}, nil
}

// The retry rule, request by request: net/http's shouldRetryRequest.
func TestRetryRule(t *testing.T) {
	withGetBody := func(method string) *http.Request {
		r, _ := http.NewRequest(method, "http://example.invalid/", strings.NewReader("b")) // sets GetBody
		return r
	}
	withoutGetBody := func(method string) *http.Request {
		r, _ := http.NewRequest(method, "http://example.invalid/", io.NopCloser(strings.NewReader("b")))
		return r
	}
	get, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	keyed := withoutGetBody(http.MethodPost)
	keyed.Header.Set("Idempotency-Key", "k")
	keyedReplayable := withGetBody(http.MethodPost)
	keyedReplayable.Header.Set("Idempotency-Key", "k")
	cases := []struct {
		name         string
		req          *http.Request
		wroteHeaders bool
		retried      bool
	}{
		{"GET", get, true, true},
		{"PUT with GetBody, headers written (not in net/http's list)", withGetBody(http.MethodPut), true, false},
		{"PUT with GetBody, nothing written", withGetBody(http.MethodPut), false, true},
		{"POST with GetBody, headers written", withGetBody(http.MethodPost), true, false},
		{"POST with GetBody, nothing written", withGetBody(http.MethodPost), false, true},
		{"POST without GetBody, nothing written", withoutGetBody(http.MethodPost), false, false},
		{"POST without GetBody, headers written", withoutGetBody(http.MethodPost), true, false},
		{"PUT without GetBody", withoutGetBody(http.MethodPut), true, false},
		{"POST with Idempotency-Key and GetBody", keyedReplayable, true, true},
		{"POST with Idempotency-Key, no GetBody", keyed, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &flaky{wroteHeaders: c.wroteHeaders}
			tr := httpx.MustWrap(f, httpx.Config{})
			defer tr.Close()
			resp, err := tr.RoundTrip(c.req)
			if err == nil {
				resp.Body.Close()
			}
			want := map[bool]int64{false: 1, true: 2}[c.retried]
			if got := f.attempts.Load(); got != want {
				t.Fatalf("sent %d times, want %d", got, want)
			}
			if (err == nil) != c.retried {
				t.Fatalf("err = %v", err)
			}
			if s := tr.Stats(); s.Retries != want-1 || s.Acquisitions != want {
				t.Fatalf("Retries = %d, Acquisitions = %d", s.Retries, s.Acquisitions)
			}
		})
	}
}

// A retry happens only once, and never after the context ended.
func TestRetryOnceAndNotCancelled(t *testing.T) {
	always := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		httptrace.ContextClientTrace(req.Context()).GotConn(httptrace.GotConnInfo{Reused: true})
		return nil, io.ErrUnexpectedEOF
	})
	var calls atomic.Int64
	tr := httpx.MustWrap(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		calls.Add(1)
		return always(req)
	}), httpx.Config{})
	defer tr.Close()
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, io.ErrUnexpectedEOF) || calls.Load() != 2 {
		t.Fatalf("err = %v after %d attempts, want ErrUnexpectedEOF after 2", err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls.Store(0)
	if _, err := tr.RoundTrip(req.WithContext(ctx)); err == nil || calls.Load() != 1 {
		t.Fatalf("cancelled request: err = %v after %d attempts, want 1", err, calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
