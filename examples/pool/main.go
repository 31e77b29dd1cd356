// Command pool runs a tiny line-protocol server on loopback and sends it
// the same requests five ways: through keepconn's pool (with its default
// idle cap, and with an idle cap below the concurrency), and with a
// connection per request (closed at once; ending with a "quit" goodbye
// and closed at once, as database drivers do; ending with the goodbye
// through a dialer that lets the server close first). For each it prints
// the dials, the reuse and the TIME_WAIT sockets left on the client and
// on the server, counted by the kernel. It exits by itself.
//
//	go run ./examples/pool
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/pool"
)

// client sends one request and reads the answer.
type client interface {
	request(ctx context.Context, line string) error
	close(ctx context.Context) (opened, reused, activeCloses int64)
}

type variant struct {
	name string
	open func(addr string, workers int) (client, error)
}

func main() {
	requests := flag.Int("n", 2000, "requests per client")
	workers := flag.Int("workers", 16, "concurrent workers")
	flag.Parse()

	fmt.Printf("%d requests per client, %d workers, one loopback server per client\n\n", *requests, *workers)
	fmt.Printf("%-32s %7s %7s %17s %13s %8s\n", "client", "dials", "reused", "TIME_WAIT cli/srv", "ActiveCloses", "req/s")
	for _, v := range variants() {
		if err := run(v, *requests, *workers); err != nil {
			log.Fatalf("%s: %v", v.name, err)
		}
	}
	fmt.Println(`
TIME_WAIT cli/srv: sockets of that client's connections left in TIME_WAIT on the client side and on
the server side, from the kernel (sock_diag). The side that closes first keeps one for 60 s; on the
client it blocks a local port towards the server. ActiveCloses is the dialer's own count of closes
it made first: it equals the client column. Outside a private network namespace the host's
tcp_tw_reuse lets connects take over TIME_WAIT ports after a second, so long runs count low.`)
}

func variants() []variant {
	return []variant{
		{"pool (MaxIdle default)", func(addr string, w int) (client, error) {
			return newPooled(pool.Config{Addr: addr, MaxConns: w})
		}},
		{"pool, MaxIdle 2", func(addr string, w int) (client, error) {
			return newPooled(pool.Config{Addr: addr, MaxConns: w, MaxIdle: 2})
		}},
		{"dial per request", func(addr string, _ int) (client, error) {
			return newPerRequest(addr, dialer.Config{}, false)
		}},
		{"dial per request, quit", func(addr string, _ int) (client, error) {
			return newPerRequest(addr, dialer.Config{}, true)
		}},
		{"dial per request, quit, await", func(addr string, _ int) (client, error) {
			return newPerRequest(addr, dialer.Config{AwaitPeerClose: 200 * time.Millisecond}, true)
		}},
	}
}

// run serves one client's requests from its own server and prints a row.
func run(v variant, n, workers int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go serve(ln)
	addr := ln.Addr().String()
	c, err := v.open(addr, workers)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := load(c, n, workers); err != nil {
		return err
	}
	elapsed := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opened, reused, active := c.close(ctx)
	cli, srv, err := settledTimeWait(ctx, netip.MustParseAddrPort(addr))
	if err != nil {
		return err
	}
	fmt.Printf("%-32s %7d %7d %17s %13d %8.0f\n", v.name, opened, reused,
		fmt.Sprintf("%d / %d", cli, srv), active, float64(n)/elapsed.Seconds())
	return nil
}

// settledTimeWait counts the TIME_WAIT sockets of the connections to srv
// once the last closes have finished their handshakes: a socket is in
// FIN_WAIT2 until the other side's FIN comes, and only then in TIME_WAIT.
func settledTimeWait(ctx context.Context, srv netip.AddrPort) (cli, server int, err error) {
	if err := sockdiag.AwaitClosed(ctx, srv); err != nil {
		return 0, 0, err
	}
	return sockdiag.TimeWaitSides(ctx, srv)
}

// load sends n requests from workers goroutines, in bursts: the gaps let
// connections go idle, as in a service between bursts of traffic.
func load(c client, n, workers int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := c.request(ctx, fmt.Sprintf("get key%d", i))
				cancel()
				if err != nil {
					errs <- err
					return
				}
				if i%(4*workers) < workers {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// serve answers "get KEY" with "VALUE KEY" on each line and closes the
// connection on "quit", until ln closes.
func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil || strings.TrimSpace(line) == "quit" {
					return
				}
				fmt.Fprintf(c, "VALUE %s\n", strings.TrimPrefix(strings.TrimSpace(line), "get "))
			}
		}()
	}
}

// exchange writes line and reads the answer through r.
func exchange(c net.Conn, r *bufio.Reader, line string) error {
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return err
	}
	answer, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(answer, "VALUE ") {
		return fmt.Errorf("answer %q: %v", answer, err)
	}
	return nil
}
