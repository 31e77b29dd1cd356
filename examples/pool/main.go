// Command pool runs a tiny line-protocol server on loopback and a client
// that sends it requests through keepconn's pool, then the same requests
// with a connection per request, and prints what each cost in dials and
// TIME_WAIT entries left on the client (closes this side made first,
// including the pool's own at the end). It exits by itself.
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
	"strings"
	"sync"
	"time"

	"github.com/keepconn/keepconn/pool"
)

func main() {
	requests := flag.Int("n", 2000, "requests per client")
	workers := flag.Int("workers", 16, "concurrent workers")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go serve(ln)
	addr := ln.Addr().String()

	fmt.Printf("%d requests, %d workers, server %s\n\n", *requests, *workers, addr)
	fmt.Printf("%-22s %8s %8s %12s %10s\n", "client", "dials", "reused", "TIME_WAITs", "req/s")
	for _, c := range []struct {
		name string
		cfg  pool.Config
	}{
		{"pool (MaxIdle default)", pool.Config{Addr: addr, MaxConns: *workers}},
		{"pool, MaxIdle 2", pool.Config{Addr: addr, MaxConns: *workers, MaxIdle: 2}},
		{"dial per request", pool.Config{Addr: addr, MaxConns: *workers, MaxIdle: 1}},
	} {
		run(c.name, c.cfg, *requests, *workers, c.name == "dial per request")
	}
}

// run sends n requests from workers goroutines and prints the pool's Stats.
// perRequest destroys every connection after use, as a client without a
// pool closes its connection per call.
func run(name string, cfg pool.Config, n, workers int, perRequest bool) {
	p, err := pool.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := request(p, fmt.Sprintf("get key%d", i), perRequest); err != nil {
					log.Fatal(err)
				}
				if i%(4*workers) < workers {
					time.Sleep(time.Millisecond) // bursty load: gaps let connections go idle
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	p.Close()
	s := p.Stats()
	fmt.Printf("%-22s %8d %8d %12d %10.0f\n", name, s.Opened, s.Reused, s.ActiveCloses, float64(n)/elapsed.Seconds())
}

func request(p *pool.Pool, line string, perRequest bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	r, _ := c.Value().(*bufio.Reader)
	if r == nil {
		r = bufio.NewReader(c.NetConn()) // per-connection state wraps the net.Conn, not the acquisition
		c.SetValue(r)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		c.Destroy()
		return err
	}
	answer, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(answer, "VALUE ") {
		c.Destroy()
		return fmt.Errorf("answer %q: %v", answer, err)
	}
	if perRequest {
		c.Destroy() // like closing a connection per call
		return nil
	}
	c.Release()
	return nil
}

// serve answers "get KEY" with "VALUE KEY" on each line, until ln closes.
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
				if err != nil {
					return
				}
				fmt.Fprintf(c, "VALUE %s\n", strings.TrimPrefix(strings.TrimSpace(line), "get "))
			}
		}()
	}
}
