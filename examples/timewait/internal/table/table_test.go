package table

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
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
// client-side TIME_WAIT towards the listener.
func TestTimeWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		cli, ser, err := TimeWait(ctx, netip.AddrPortFrom(srv.Addr().Unmap(), srv.Port()))
		if err != nil {
			t.Fatal(err)
		}
		if cli == 1 && ser == 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("client %d server %d, want 1 0", cli, ser)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
