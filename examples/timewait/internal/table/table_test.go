package table

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
)

// TestPrintRow: the row carries the figures in the header's columns.
func TestPrintRow(t *testing.T) {
	var b bytes.Buffer
	PrintHeader(&b, Header{Requests: 10, Concurrency: 2, Where: "loopback"})
	PrintRow(&b, Row{Index: 3, Name: "x", Requests: 10, OK: 8, Errors: 2, AddrNotAvail: 2, FirstAddrNotAvail: 7,
		NewConns: 4, Reused: 6, Elapsed: time.Second, P50: 1500 * time.Microsecond, TimeWaitClient: 3, TimeWaitServer: 1})
	PrintFooter(&b, Footer{Notes: []string{"note"}})
	out := b.String()
	for _, want := range []string{"10 requests per case, 2 concurrent", "req/s", "3 x", "3 / 1", "75.0%", "1.5ms",
		"2 (2 EADDRNOTAVAIL, first after 7 requests)", "\nnote\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestTimeWait: a connection this process closes first leaves one
// client-side TIME_WAIT towards the listener. It runs in a network
// namespace of its own: in the host's, another test's connection to the
// same port (one it found free, say) would change the counts.
func TestTimeWait(t *testing.T) {
	netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
		srv := closeOneClientFirst(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for {
			cli, ser, err := TimeWait(ctx, srv)
			switch {
			case err == nil && cli == 1 && ser == 0:
				return
			case ctx.Err() != nil:
				t.Fatalf("client %d server %d (%v), want 1 0", cli, ser, err)
			case err != nil:
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// closeOneClientFirst opens one loopback connection, closes it from the
// client first and then from the server, and returns the listener's
// address.
func closeOneClientFirst(t *testing.T) netip.AddrPort {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := ln.Addr().(*net.TCPAddr).AddrPort()
	c, err := net.Dial("tcp", srv.String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	buf := make([]byte, 1)
	s.Read(buf) // the FIN
	s.Close()
	return netip.AddrPortFrom(srv.Addr().Unmap(), srv.Port())
}
