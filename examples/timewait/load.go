package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is what one case measured.
type result struct {
	name             string
	requests, ok     int64
	errs, addrNA     int64
	firstAddrNA      int64 // requests finished before the first EADDRNOTAVAIL; -1: none
	newConns, reused int64
	elapsed          time.Duration
	p50, p99         time.Duration
	twClient         int
	twServer         int
	series           []sample
}

// sample is the TIME_WAIT count of the namespace, minus the count when the
// case started, at a time since the case started.
type sample struct {
	at time.Duration
	tw int
}

// server is one case's HTTP server; it counts accepted connections.
type server struct {
	url      string
	addr     netip.AddrPort
	srv      *http.Server
	newConns atomic.Int64
}

func startServer(addr string, bodySize int) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + ln.Addr().String() + "/", addr: unmapped(ln.Addr().(*net.TCPAddr).AddrPort())}
	body := make([]byte, bodySize)
	for i := range body {
		body[i] = 'x'
	}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.newConns.Add(1)
			}
		},
	}
	go s.srv.Serve(ln)
	return s, nil
}

// serverAddr is where case i listens: an ephemeral port on the host, or a
// fixed port below the tiny ephemeral range in a namespace.
func serverAddr(o options, i int) string {
	if inNetns() {
		return fmt.Sprintf("127.0.0.1:%d", 8001+i)
	}
	return "127.0.0.1:0"
}

func runCase(o options, i int, c aCase) (*result, error) {
	srv, err := startServer(serverAddr(o, i), o.bodySize)
	if err != nil {
		return nil, err
	}
	defer srv.srv.Close()
	client, release := c.client()
	r := &result{name: c.name, requests: int64(o.n), firstAddrNA: -1}

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	stopSampling := sampleTimeWait(o.sample, &r.series)
	start := time.Now()
	lat := drive(ctx, o, client, srv.url, c.readBody, r)
	r.elapsed = time.Since(start)
	release()
	stopSampling()

	r.newConns = srv.newConns.Load()
	r.p50, r.p99 = percentiles(lat)
	r.twClient, r.twServer, err = timeWaitOf(srv.addr)
	return r, err
}

// drive sends o.n GETs from o.c workers and returns the latency of the
// successful ones.
func drive(ctx context.Context, o options, client *http.Client, url string, readBody bool, r *result) []time.Duration {
	var next, done, ok, errs, addrNA, reused atomic.Int64
	var firstNA atomic.Int64
	firstNA.Store(-1)
	lat := make([]time.Duration, o.n)
	var wg sync.WaitGroup
	for range o.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(o.n) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				wasReused, err := get(ctx, client, url, readBody)
				finished := done.Add(1)
				if err != nil {
					errs.Add(1)
					if errors.Is(err, syscall.EADDRNOTAVAIL) {
						addrNA.Add(1)
						firstNA.CompareAndSwap(-1, finished-1)
					}
					lat[i] = -1
					continue
				}
				lat[i] = time.Since(t0)
				ok.Add(1)
				if wasReused {
					reused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	r.ok, r.errs, r.addrNA, r.reused, r.firstAddrNA = ok.Load(), errs.Load(), addrNA.Load(), reused.Load(), firstNA.Load()
	r.requests = done.Load()
	return lat
}

// get sends one GET and reports whether it went over a reused connection.
func get(ctx context.Context, client *http.Client, url string, readBody bool) (bool, error) {
	var reused bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	if readBody {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	return reused, err
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	ok := slices.DeleteFunc(slices.Clone(lat), func(d time.Duration) bool { return d < 0 })
	if len(ok) == 0 {
		return 0, 0
	}
	slices.Sort(ok)
	return ok[len(ok)/2], ok[min(len(ok)-1, len(ok)*99/100)]
}

func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
