package httpx_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// testServer is an in-process HTTP server that counts what clients do.
type testServer struct {
	URL      string
	Port     int
	srv      *http.Server
	newConns atomic.Int64 // connections accepted
	requests atomic.Int64
	posts    sync.Map // id → *atomic.Int64: how often each POST arrived
}

// startServer serves bodySize-byte bodies on addr ("127.0.0.1:0" or a
// fixed port inside a namespace); setup may adjust the server.
func startServer(t testing.TB, addr string, bodySize int, setup func(*http.Server)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Port: ln.Addr().(*net.TCPAddr).Port}
	ts.URL = "http://" + ln.Addr().String()
	payload := []byte(strings.Repeat("x", bodySize))
	ts.srv = &http.Server{
		Handler:   ts.handler(payload),
		ConnState: ts.connState,
		ErrorLog:  nil,
	}
	if setup != nil {
		setup(ts.srv)
	}
	go ts.srv.Serve(ln)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

func (ts *testServer) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		ts.newConns.Add(1)
	}
}

func (ts *testServer) handler(payload []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		if r.Method == http.MethodPost {
			id := r.URL.Query().Get("id")
			v, _ := ts.posts.LoadOrStore(id, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			io.Copy(io.Discard, r.Body)
		}
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		}
		w.Write(payload)
	})
}

// result sums up a load run.
type result struct {
	ok, errs, addrNotAvail int64
	firstErr               error
}

// load sends n GETs with c workers. readBody false closes bodies unread.
func load(client *http.Client, url string, n, c int, readBody bool) result {
	var next, ok, errs, ena atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				if err := get(ctx, client, url, readBody); err != nil {
					errs.Add(1)
					if errors.Is(err, syscall.EADDRNOTAVAIL) {
						ena.Add(1)
					}
					first.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	r := result{ok: ok.Load(), errs: errs.Load(), addrNotAvail: ena.Load()}
	if e, _ := first.Load().(error); e != nil {
		r.firstErr = e
	}
	return r
}

func get(ctx context.Context, client *http.Client, url string, readBody bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	if readBody {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	return err
}

// timeWait counts the kernel's TIME_WAIT sockets of this network
// namespace towards port (client side: remote port) and from port (server
// side: local port), in one sock_diag listing from the calling thread.
func timeWait(t testing.TB, port int) (client, server int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := sockdiag.Collect(ctx, sockdiag.TimeWait, func(s sockdiag.Socket) {
		if s.State != sockdiag.StateTimeWait {
			return
		}
		if int(s.Remote.Port()) == port {
			client++
		}
		if int(s.Local.Port()) == port {
			server++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

// closingMask selects the states of a socket that closed first and waits
// for the peer's FIN: FIN_WAIT1, FIN_WAIT2, CLOSING.
const closingMask = 1<<sockdiag.StateFinWait1 | 1<<sockdiag.StateFinWait2 | 1<<sockdiag.StateClosing

// settledTimeWait waits (at most 10 s) until no client socket towards
// port is still closing (the server has not closed its side yet), then
// counts the client side's TIME_WAIT sockets.
func settledTimeWait(t testing.TB, port int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		closing := 0
		_, err := sockdiag.Collect(context.Background(), closingMask, func(s sockdiag.Socket) {
			if int(s.Remote.Port()) == port && closingMask&(1<<s.State) != 0 {
				closing++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if closing == 0 || time.Now().After(deadline) {
			tw, _ := timeWait(t, port)
			return tw
		}
		time.Sleep(20 * time.Millisecond)
	}
}
