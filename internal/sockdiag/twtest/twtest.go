// Package twtest makes TIME_WAIT sockets on purpose, for tests and
// benchmarks that count them: a server that lets its clients close first,
// and a loop of client-first closes. Use it inside a private network
// namespace (internal/netnstest), where the count is the test's alone.
package twtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Serve listens on addr (a fixed port: inside a namespace with a narrow
// ephemeral range keep it outside the range). Each accepted connection is
// read to EOF and only then closed, so the client sends the first FIN and
// keeps the TIME_WAIT. The listener and every handler stop before the test
// ends. The listen backlog is net.core.somaxconn: for thousands of
// connections raise it in the namespace above their number, or a busy
// accept loop lets the queue overflow and some closes end oddly. Keep
// net.ipv4.tcp_rfc1337=1, as netnstest's namespaces have it: otherwise a
// TIME_WAIT that receives an RST ends early and counts come out short.
func Serve(tb testing.TB, addr string) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("twtest: listen %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// DialFunc opens one connection to dst.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// CloseFirst dials dst n times with dial, using up to workers connections
// at once, and closes each one right away from the client side: n
// connections that will sit in TIME_WAIT on this host once the server's
// FIN arrives. It returns the first error.
func CloseFirst(ctx context.Context, dial DialFunc, dst netip.AddrPort, n, workers int) error {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				c, err := dial(ctx, "tcp", dst.String())
				if err != nil {
					errs <- fmt.Errorf("twtest: dial %s: %w", dst, err)
					return
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// Await polls count every 20 ms until it returns want, for at most
// timeout, and returns the last value it saw. The server closes its side
// a moment after the client, so TIME_WAIT entries appear with a delay.
func Await(timeout time.Duration, want int, count func() (int, error)) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, err := count()
		if err != nil || got == want || time.Now().After(deadline) {
			return got, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
