package sockdiag

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Captures of TestCaptureTestdata: the answers to the two SOCK_DIAG_BY_FAMILY
// requests, and to the compat request.
const (
	captureV2     = "netlink-connected"
	captureCompat = "netlink-compat-connected"
)

// realDatagrams reads the netlink datagrams captured from this kernel by
// TestCaptureTestdata as testdata/<capture>-*.bin.
func realDatagrams(t testing.TB, capture string) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob("testdata/" + capture + "-*.bin")
	if len(paths) == 0 {
		t.Fatalf("no testdata/%s-*.bin captures", capture)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// The captured scene: 7 TIME_WAIT sockets to 127.0.0.1:5000 over IPv4, 3
// over IPv4-mapped IPv6, 5 to [::1]:5001, and 2 open connections to
// 127.0.0.1:5000 (client and server ends), listed by the two v2 requests
// (two NLMSG_DONE) and by the compat request (one).
func TestParseDumpRealCapture(t *testing.T) {
	for _, c := range []struct {
		capture string
		dones   int
	}{{captureV2, 2}, {captureCompat, 1}} {
		t.Run(c.capture, func(t *testing.T) {
			tw := map[netip.AddrPort]int{}
			states := map[uint8]int{}
			dones := 0
			for _, g := range realDatagrams(t, c.capture) {
				done, err := ParseDump(g, func(s Socket) {
					states[s.State]++
					if s.State == StateTimeWait {
						tw[s.Remote]++
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if done {
					dones++
				}
			}
			v4, v6 := netip.MustParseAddrPort("127.0.0.1:5000"), netip.MustParseAddrPort("[::1]:5001")
			if tw[v4] != 10 || tw[v6] != 5 || len(tw) != 2 {
				t.Fatalf("TIME_WAIT per peer = %v, want %s: 10, %s: 5", tw, v4, v6)
			}
			if states[StateEstablished] != 4 || len(states) != 2 {
				t.Fatalf("states = %v, want 15 TIME_WAIT and 4 ESTABLISHED", states)
			}
			if dones != c.dones {
				t.Fatalf("NLMSG_DONE seen %d times, want %d", dones, c.dones)
			}
		})
	}
}

// TestParseDumpAllocs: decoding a datagram allocates nothing, whichever
// request it answers.
func TestParseDumpAllocs(t *testing.T) {
	n := 0
	visit := func(Socket) { n++ }
	for _, capture := range []string{captureV2, captureCompat} {
		grams := realDatagrams(t, capture)
		allocs := testing.AllocsPerRun(100, func() {
			for _, g := range grams {
				if _, err := ParseDump(g, visit); err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: ParseDump allocates %v times per dump", capture, allocs)
		}
	}
}

func TestParseDumpErrors(t *testing.T) {
	g := realDatagrams(t, captureV2)[0]
	msgLen := int(binary.NativeEndian.Uint32(g))
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"fragment after a message", g[:msgLen+5], ErrTruncated},
		{"cut inside a message", g[:msgLen-1], ErrTruncated},
		{"length below header", hdr(8, nlmsgDone, nil), ErrTruncated},
		{"short inet_diag_msg", hdr(16+20, sockDiagByFamily, make([]byte, 20)), ErrTruncated},
		{"short compat inet_diag_msg", hdr(16+20, tcpDiagGetSock, make([]byte, 20)), ErrTruncated},
		{"NLMSG_ERROR EPERM", hdr(20, nlmsgError, le32(-1)), syscall.EPERM},
		{"NLMSG_ERROR without code", hdr(18, nlmsgError, []byte{1, 2}), ErrTruncated},
		{"NLMSG_DONE with ENOBUFS", hdr(20, nlmsgDone, le32(-int32(syscall.ENOBUFS))), syscall.ENOBUFS},
	}
	for _, c := range cases {
		_, err := ParseDump(c.b, func(Socket) {})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: ParseDump = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseDumpMultipart(t *testing.T) {
	// An acknowledgement, a no-op, two sockets of an unknown family, then
	// DONE and garbage after it that must be ignored.
	var b []byte
	b = append(b, hdr(20, nlmsgError, le32(0))...)
	b = append(b, hdr(16, nlmsgNoop, nil)...)
	odd := make([]byte, inetDiagMsgLen)
	odd[0] = 99
	b = append(b, hdr(16+inetDiagMsgLen, sockDiagByFamily, odd)...)
	b = append(b, hdr(20, nlmsgDone, le32(0))...)
	b = append(b, 0xff, 0xff)
	n := 0
	done, err := ParseDump(b, func(Socket) { n++ })
	if !done || err != nil || n != 0 {
		t.Fatalf("ParseDump = done %v, %v, %d sockets; want done, nil, 0", done, err, n)
	}
}

func hdr(l int, typ uint16, payload []byte) []byte {
	b := make([]byte, 16, 16+len(payload)+3)
	binary.NativeEndian.PutUint32(b, uint32(l))
	binary.NativeEndian.PutUint16(b[4:], typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func le32(v int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(v)) }

// FuzzParseDump: no input makes the decoder panic, and every socket it
// reports has addresses of one family.
func FuzzParseDump(f *testing.F) {
	for _, capture := range []string{captureV2, captureCompat} {
		for _, g := range realDatagrams(f, capture) {
			f.Add(g)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseDump(b, func(s Socket) {
			if !s.Local.IsValid() || !s.Remote.IsValid() {
				t.Fatalf("invalid address in %+v", s)
			}
		})
	})
}
