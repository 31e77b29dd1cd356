package sockdiag

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestParseProcLine(t *testing.T) {
	cases := []struct {
		line, local, remote string
		state               uint8
		inode               uint32
	}{
		{"   1: 0100007F:9DF6 0100007F:1388 06 00000000:00000000 03:0000176E 00000000     0        0 0 3 0000000019f45892",
			"127.0.0.1:40438", "127.0.0.1:5000", StateTimeWait, 0},
		{"   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 29715 2 00000000e1d3b1c0 100 0 0 10 0",
			"127.0.0.1:5000", "0.0.0.0:0", StateListen, 29715},
		{"   0: 00000000000000000000000001000000:1389 00000000000000000000000001000000:9C41 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000",
			"[::1]:5001", "[::1]:40001", StateTimeWait, 0},
		{"   0: 0000000000000000FFFF00000100007F:9C42 0000000000000000FFFF00000100007F:1388 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000",
			"127.0.0.1:40002", "127.0.0.1:5000", StateTimeWait, 0},
	}
	for _, c := range cases {
		s, err := ParseProcLine([]byte(c.line))
		if err != nil {
			t.Fatalf("%q: %v", c.line, err)
		}
		want := Socket{State: c.state, Local: netip.MustParseAddrPort(c.local), Remote: netip.MustParseAddrPort(c.remote), Inode: c.inode}
		if s != want {
			t.Errorf("%q:\n got %+v\nwant %+v", c.line, s, want)
		}
	}
}

func TestParseProcLineRejects(t *testing.T) {
	for _, line := range []string{
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
		"   1: 0100007F:9DF6 0100007F:1388",
		"   1: 0100007G:9DF6 0100007F:1388 06 00000000:00000000 03:0000176E 00000000     0        0 0",
		"   1: 0100007F:9DF6 00000000000000000000000001000000:1388 06 0:0 03:0 0 0 0 0",
		"   1: 0100007F:19DF6 0100007F:1388 06 0:0 03:0 0 0 0 0",
		"   1: 0100007F:9DF6 0100007F:1388 06 0:0 03:0 0 99999999999 0 0",
	} {
		if _, err := ParseProcLine([]byte(line)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseProcLine(%q) = %v, want ErrMalformed", line, err)
		}
	}
}

// TestParseProcRealCapture reads the /proc files captured with the netlink
// datagrams of TestParseDumpRealCapture: the same 15 TIME_WAIT sockets.
func TestParseProcRealCapture(t *testing.T) {
	tw := map[netip.AddrPort]int{}
	for _, name := range []string{"testdata/proc-tcp.txt", "testdata/proc-tcp6.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := ParseProc(context.Background(), bytes.NewReader(b), TimeWait, func(s Socket) { tw[s.Remote]++ }); err != nil {
			t.Fatal(err)
		}
	}
	v4, v6 := netip.MustParseAddrPort("127.0.0.1:5000"), netip.MustParseAddrPort("[::1]:5001")
	if tw[v4] != 10 || tw[v6] != 5 || len(tw) != 2 {
		t.Fatalf("TIME_WAIT per peer = %v, want %s: 10, %s: 5", tw, v4, v6)
	}
}

func TestParseProcHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := strings.Repeat("   1: 0100007F:9DF6 0100007F:1388 06 00000000:00000000 03:0000176E 00000000     0        0 0 3 0\n", 2000)
	err := ParseProc(ctx, strings.NewReader("header\n"+in), TimeWait, func(Socket) {})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ParseProc with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestParseSockstat(t *testing.T) {
	st, err := ParseSockstat(strings.NewReader("sockets: used 12\nTCP: inuse 3 orphan 1 tw 800 alloc 5 mem 1\n"),
		strings.NewReader("TCP6: inuse 2\nUDP6: inuse 0\n"))
	want := Sockstat{InUse: 3, Orphan: 1, TimeWait: 800, Alloc: 5, InUse6: 2}
	if err != nil || st != want {
		t.Fatalf("ParseSockstat = %+v, %v; want %+v", st, err, want)
	}
	if _, err := ParseSockstat(strings.NewReader("UDP: inuse 0\n"), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseSockstat without TCP line = %v, want ErrMalformed", err)
	}
}

func TestParsePortRange(t *testing.T) {
	lo, hi, err := ParsePortRange([]byte("32768\t60999\n"))
	if err != nil || lo != 32768 || hi != 60999 {
		t.Fatalf("ParsePortRange = %d, %d, %v", lo, hi, err)
	}
	for _, bad := range []string{"", "1", "5 4", "0 10", "70000 70001", "a b"} {
		if _, _, err := ParsePortRange([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePortRange(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseProcLineAllocs(t *testing.T) {
	line := []byte("   1: 0100007F:9DF6 0100007F:1388 06 00000000:00000000 03:0000176E 00000000     0        0 0 3 0000000019f45892")
	if n := testing.AllocsPerRun(100, func() { ParseProcLine(line) }); n != 0 {
		t.Fatalf("ParseProcLine allocates %v times per line, want 0", n)
	}
}

// FuzzParseProcLine: no input panics, and a line that parses gives
// addresses of one family.
func FuzzParseProcLine(f *testing.F) {
	f.Add([]byte("   1: 0100007F:9DF6 0100007F:1388 06 00000000:00000000 03:0000176E 00000000     0        0 0 3 0"))
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := ParseProcLine(line)
		if err == nil && (!s.Local.IsValid() || s.Local.Addr().Is4() != s.Remote.Addr().Is4()) {
			t.Fatalf("ParseProcLine(%q) = %+v", line, s)
		}
	})
}
