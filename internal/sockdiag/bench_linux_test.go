package sockdiag

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
	"golang.org/x/sys/unix"
)

// sceneConfig is the namespace of the benchmarks: a listen backlog above
// the socket count, so a busy accept loop cannot overflow the queue.
var sceneConfig = netnstest.Config{PortLow: 10000, PortHigh: 60999,
	Sysctls: map[string]string{"net.core.somaxconn": "65535"}}

// BenchmarkDecode20000 isolates the user-space half of a census: decoding
// the netlink datagrams versus parsing the /proc/net/tcp{,6} text that the
// kernel produced for the same 20,000 TIME_WAIT sockets, both captured
// once in a private namespace. (BenchmarkKernelFloor20000 measures the
// kernel's half, dialer.BenchmarkTimeWaitCensus the whole census.)
func BenchmarkDecode20000(b *testing.B) {
	netnstest.Run(b, sceneConfig, func(b *testing.B) {
		grams, text, n := captureScene(b, 20000)
		var perOp [2]time.Duration
		b.Run("netlink", func(b *testing.B) {
			perOp[0] = benchDecode(b, n, func(visit func(Socket)) error {
				for _, g := range grams {
					if _, err := ParseDump(g, visit); err != nil {
						return err
					}
				}
				return nil
			})
		})
		b.Run("proc", func(b *testing.B) {
			perOp[1] = benchDecode(b, n, func(visit func(Socket)) error {
				for _, t := range text {
					if err := ParseProc(context.Background(), bytes.NewReader(t), TimeWait, visit); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if perOp[0] > 0 {
			b.Logf("decoding %d sockets: netlink %v, /proc text %v: netlink %.1f× faster",
				n, perOp[0], perOp[1], float64(perOp[1])/float64(perOp[0]))
		}
	})
}

func benchDecode(b *testing.B, want int, decode func(func(Socket)) error) time.Duration {
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		if err := decode(func(s Socket) {
			if s.State == StateTimeWait {
				got++
			}
		}); err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("decoded %d TIME_WAIT sockets, want %d", got, want)
		}
	}
	return b.Elapsed() / time.Duration(b.N)
}

// BenchmarkKernelFloor20000 measures the kernel's half of a census alone,
// for the 20,000 TIME_WAIT sockets of captureScene: the netlink dumps, to
// the compat request and to the two v2 requests, read without decoding
// (only the nlmsghdr lengths are walked, to find NLMSG_DONE), and
// /proc/net/tcp and tcp6 read whole into a buffer and not parsed. This
// is work no user space can avoid: the kernel walks its TCP hash table and
// formats every socket it lists, as binary or as text. So the floor ratio
// it logs, /proc over netlink, bounds the census ratio that
// dialer.BenchmarkTimeWaitCensus can reach, however fast the decoders.
func BenchmarkKernelFloor20000(b *testing.B) {
	netnstest.Run(b, sceneConfig, func(b *testing.B) {
		_, _, n := captureScene(b, 20000)
		compat := compatRequest(TimeWait, 1)
		v4, v6 := dumpRequest(afInet, TimeWait, 1), dumpRequest(afInet6, TimeWait, 2)
		floors := []struct {
			name  string
			read  func(b *testing.B, buf []byte) int
			want  int // sockets listed; -1: not counted
			perOp time.Duration
		}{
			{"netlink-compat", func(b *testing.B, buf []byte) int { return rawDump(b, buf, compat) }, n, 0},
			{"netlink-v2", func(b *testing.B, buf []byte) int { return rawDump(b, buf, v4, v6) }, n, 0},
			{"proc", func(b *testing.B, buf []byte) int { rawRead(b, buf, procTCP, procTCP6); return -1 }, -1, 0},
		}
		buf := make([]byte, 4<<20)
		for i := range floors {
			f := &floors[i]
			b.Run(f.name, func(b *testing.B) {
				for b.Loop() {
					if got := f.read(b, buf); got != f.want {
						b.Fatalf("kernel listed %d sockets, want %d", got, f.want)
					}
				}
				f.perOp = b.Elapsed() / time.Duration(b.N)
			})
		}
		nlc, nl2, proc := floors[0].perOp, floors[1].perOp, floors[2].perOp
		if nlc > 0 && nl2 > 0 {
			b.Logf("kernel floor for %d sockets: netlink compat %v, v2 %v, /proc %v: /proc ÷ netlink %.1f× (compat), %.1f× (v2)",
				n, nlc.Round(time.Microsecond), nl2.Round(time.Microsecond), proc.Round(time.Microsecond),
				float64(proc)/float64(nlc), float64(proc)/float64(nl2))
		}
	})
}

// rawDump sends each request in turn on a fresh sock_diag socket, as Dump
// does, and reads the answers into buf until NLMSG_DONE without decoding
// them. It returns the number of socket messages.
func rawDump(b *testing.B, buf []byte, reqs ...[]byte) int {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	msgs := 0
	count := func(typ uint16) {
		switch typ {
		case sockDiagByFamily, tcpDiagGetSock:
			msgs++
		case nlmsgError: // no NLMSG_DONE follows
			b.Fatal("the kernel answered NLMSG_ERROR")
		}
	}
	for _, req := range reqs {
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			b.Fatal(err)
		}
		for done := false; !done; {
			n, err := recvTrunc(fd, buf)
			if err != nil || n > len(buf) {
				b.Fatalf("recv: %d bytes, %v", n, err)
			}
			done = scanHeaders(buf[:n], count)
		}
	}
	return msgs
}

// scanHeaders walks the nlmsghdr lengths of datagram b, decoding no
// payload, and calls f with each message type. It reports whether it met
// NLMSG_DONE, where it stops.
func scanHeaders(b []byte, f func(typ uint16)) (done bool) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		typ := binary.NativeEndian.Uint16(b[4:])
		f(typ)
		if typ == nlmsgDone {
			return true
		}
		if l < nlmsgHdrLen || align4(l) >= len(b) {
			return false
		}
		b = b[align4(l):]
	}
	return false
}

// rawRead reads each file whole into buf, which it overwrites, and parses
// nothing.
func rawRead(b *testing.B, buf []byte, paths ...string) {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := f.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

var scene struct {
	grams [][]byte
	text  [][]byte
	n     int
}

// captureScene makes n TIME_WAIT sockets once per process and captures the
// netlink datagrams and /proc files that list them. On a loaded machine a
// few closes may end without a TIME_WAIT; it returns how many there are.
func captureScene(b *testing.B, n int) (grams, text [][]byte, got int) {
	if scene.grams != nil {
		return scene.grams, scene.text, scene.n
	}
	ctx := context.Background()
	dst := twtest.Serve(b, "127.0.0.1:5000")
	if err := twtest.CloseFirst(ctx, nil, dst, n, 8); err != nil {
		b.Fatal(err)
	}
	got, err := twtest.Await(20*time.Second, n, func() (int, error) { return countDump(ctx, TimeWait) })
	if err != nil || got < n-n/100 {
		b.Fatalf("TIME_WAIT sockets = %d, %v; want %d", got, err, n)
	}
	scene.n = got
	captureHook = func(g []byte) { scene.grams = append(scene.grams, append([]byte(nil), g...)) }
	err = Dump(ctx, TimeWait, func(Socket) {})
	captureHook = nil
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		t, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		scene.text = append(scene.text, t)
	}
	return scene.grams, scene.text, scene.n
}
