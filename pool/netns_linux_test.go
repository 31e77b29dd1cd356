package pool_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/pool"
)

// tinyRange is a namespace with 10 ephemeral ports and no TIME_WAIT reuse.
var tinyRange = netnstest.Config{PortLow: 40000, PortHigh: 40009, TWReuse: 0}

// Item 2: with 10 local ports, 10,000 round trips through a pool of 4 open
// 4 connections; dialing per request runs out of ports at round trip 11.
func TestTenPorts(t *testing.T) {
	const total, workers = 10000, 8
	t.Run("Pool", func(t *testing.T) {
		netnstest.Run(t, tinyRange, func(t *testing.T) {
			srv := serve(t, netnstest.Listen(t, "127.0.0.1:5000"))
			p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 4})
			var wg, start sync.WaitGroup
			start.Add(4)
			errs := make(chan error, total)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < total; i += workers {
						c, err := p.Acquire(context.Background())
						if err == nil {
							if i == w && w < 4 {
								start.Done()
								start.Wait() // the first 4 hold on: all 4 connections open
							}
							if err = roundTrip(c, fmt.Sprint(i)); err != nil {
								c.Destroy()
							} else {
								c.Release()
							}
						}
						if err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			s := p.Stats()
			t.Logf("%d round trips: Opened %d, Acquires %d, Reused %d, DialErrors %d", total, s.Opened, s.Acquisitions, s.Reused, s.DialErrors)
			if s.Opened != 4 || s.DialErrors != 0 || s.Acquisitions != total || s.TotalClosed() != 0 {
				t.Fatalf("Opened %d DialErrors %d Acquires %d Closed %d, want 4, 0, %d, 0", s.Opened, s.DialErrors, s.Acquisitions, s.TotalClosed(), total)
			}
		})
	})
	t.Run("DialPerRequest", func(t *testing.T) {
		netnstest.Run(t, tinyRange, func(t *testing.T) {
			srv := serve(t, netnstest.Listen(t, "127.0.0.1:5000"))
			d, err := dialer.New(dialer.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for i := 1; i <= 20; i++ {
				err := dialRoundTrip(d, srv.addr(), i)
				if err == nil {
					continue
				}
				if i != 11 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
					t.Fatalf("round trip %d: %v; want the first failure at 11 with EADDRNOTAVAIL", i, err)
				}
				t.Logf("round trip %d: %v", i, err)
				return
			}
			t.Fatal("20 dials per request succeeded with 10 ports")
		})
	})
}

// dialRoundTrip dials, makes one round trip through a one-connection pool
// and closes first (this side keeps the TIME_WAIT), as a client without a
// pool does.
func dialRoundTrip(d *dialer.Dialer, addr string, i int) error {
	p, err := pool.New(pool.Config{Addr: addr, Dial: d.DialContext, MaxConns: 1})
	if err != nil {
		return err
	}
	defer p.Close()
	c, err := p.Acquire(context.Background())
	if err != nil {
		return err
	}
	defer c.Release()
	return roundTrip(c, fmt.Sprint(i))
}
