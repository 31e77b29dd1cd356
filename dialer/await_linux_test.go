package dialer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag"
)

// quitNamespace: tcp_tw_reuse off, a port range wide enough for 10,000
// TIME_WAITs, and room for them all.
var quitNamespace = netnstest.Config{PortLow: 20000, PortHigh: 59999,
	Sysctls: map[string]string{"net.ipv4.tcp_max_tw_buckets": "262144"}}

const quitServerAddr = "127.0.0.1:5000"

// What must be shown, 1: with a goodbye-sending peer, at most 1 % of the
// TIME_WAITs stay on the client with AwaitPeerClose, and ActiveCloses is
// the kernel's count of them exactly, with or without it.
func TestAwaitPeerCloseMovesTimeWaitToServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		await  time.Duration
		server func(net.Conn)
	}{
		{"on", time.Second, quitServer},
		{"on, goodbye answered", time.Second, byeServer},
		{"off", 0, quitServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, quitNamespace, func(t *testing.T) {
				startServer(t, quitServerAddr, tc.server)
				d := mustNew(t, Config{AwaitPeerClose: tc.await})
				const n, workers = 10000, 4
				runRequests(t, d, n, workers)
				shutdown(t, d) // every pending wait has ended
				waitSettled(t, netip.MustParseAddrPort(quitServerAddr))
				s := d.Stats()
				census, err := TimeWaitCensus(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				clientTW := census.ByPeer[netip.MustParseAddrPort(quitServerAddr)]
				t.Logf("AwaitPeerClose %v: %d connections, %d TIME_WAIT on the client (%.1f %%), %d in the namespace, %d kernel lookups; stats %+v",
					tc.await, n, clientTW, 100*float64(clientTW)/n, census.Total, timeWaitLookups.Load(), s)
				if s.Opened != n || s.TotalClosed() != n || s.Open != 0 || s.AwaitingClose != 0 {
					t.Fatalf("stats %+v, want %d opened and closed", s, n)
				}
				if s.ActiveCloses != int64(clientTW) {
					t.Errorf("ActiveCloses %d, kernel TIME_WAIT on the client %d: must be equal", s.ActiveCloses, clientTW)
				}
				if tc.await > 0 && clientTW > n/100 {
					t.Errorf("%d TIME_WAIT on the client with AwaitPeerClose, want at most 1 %% (%d)", clientTW, n/100)
				}
			})
		})
	}
}

// waitSettled waits until no socket towards dst is still closing
// (sockdiag.AwaitClosed).
func waitSettled(t *testing.T, dst netip.AddrPort) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sockdiag.AwaitClosed(ctx, dst); err != nil {
		t.Fatal(err)
	}
}

func runRequests(t *testing.T, d *Dialer, n, workers int) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := request(context.Background(), d, quitServerAddr); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// tenPortsQuit is a 10-port range with tcp_tw_reuse off.
var tenPortsQuit = netnstest.Config{PortLow: 40000, PortHigh: 40009}

// What must be shown, 2: with 10 ports, connect-per-request runs 10,000
// requests with AwaitPeerClose and fails once the 10 ports hold a
// TIME_WAIT each without it.
func TestAwaitPeerCloseTenPorts(t *testing.T) {
	t.Run("on", func(t *testing.T) {
		netnstest.Run(t, tenPortsQuit, func(t *testing.T) {
			startServer(t, quitServerAddr, quitServer)
			d := mustNew(t, Config{AwaitPeerClose: time.Second})
			for i := range 10000 {
				if err := request(context.Background(), d, quitServerAddr); err != nil {
					t.Fatalf("request %d: %v (stats %+v)", i+1, err, d.Stats())
				}
			}
			shutdown(t, d)
			s := d.Stats()
			t.Logf("stats %+v", s)
			if s.AddrNotAvail != 0 || s.DialErrors != 0 || s.Opened != 10000 {
				t.Fatalf("stats %+v, want 10,000 dials and no EADDRNOTAVAIL", s)
			}
		})
	})
	t.Run("on, slow server", func(t *testing.T) {
		netnstest.Run(t, tenPortsQuit, func(t *testing.T) {
			startServer(t, quitServerAddr, func(c net.Conn) { quitServer(c); time.Sleep(2 * time.Millisecond) })
			d := mustNew(t, Config{AwaitPeerClose: time.Second})
			for i := range 1000 {
				if err := request(context.Background(), d, quitServerAddr); err != nil {
					t.Fatalf("request %d: %v (stats %+v)", i+1, err, d.Stats())
				}
			}
			shutdown(t, d)
			s := d.Stats()
			t.Logf("stats %+v", s)
			if s.AddrNotAvail != 0 || s.PortWaits == 0 || s.ActiveCloses != 0 {
				t.Fatalf("stats %+v, want dials that waited for a port (PortWaits), no EADDRNOTAVAIL, no active close", s)
			}
		})
	})
	t.Run("off", func(t *testing.T) {
		netnstest.Run(t, tenPortsQuit, func(t *testing.T) {
			startServer(t, quitServerAddr, quitServer)
			d := mustNew(t, Config{})
			for i := range 100 {
				err := request(context.Background(), d, quitServerAddr)
				if err == nil {
					continue
				}
				s := d.Stats()
				// Each close that left a TIME_WAIT here took a port for
				// 60 s; the odd one the server won freed its port.
				if !errors.Is(err, syscall.EADDRNOTAVAIL) || int64(i) != 10+s.PassiveCloses+s.AbortiveCloses {
					t.Fatalf("request %d failed with %v; stats %+v; want EADDRNOTAVAIL at request 11 plus the closes that left no TIME_WAIT", i+1, err, s)
				}
				t.Logf("request %d: %v (stats %+v)", i+1, err, s)
				return
			}
			t.Fatal("100 requests on 10 ports without EADDRNOTAVAIL")
		})
	})
}
