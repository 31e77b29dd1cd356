package sockdiag

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
)

// BenchmarkDecode20000 isolates the user-space half of a census: decoding
// the netlink datagrams versus parsing the /proc/net/tcp{,6} text that the
// kernel produced for the same 20,000 TIME_WAIT sockets, both captured
// once in a private namespace. (dialer.BenchmarkTimeWaitCensus measures the
// whole census, kernel included.)
func BenchmarkDecode20000(b *testing.B) {
	n := 20000
	// A listen backlog above the socket count, so a busy accept loop
	// cannot overflow the queue; RSTs must not end TIME_WAITs early.
	cfg := netnstest.Config{PortLow: 10000, PortHigh: 60999,
		Sysctls: map[string]string{"net.core.somaxconn": "65535", "net.ipv4.tcp_rfc1337": "1"}}
	netnstest.Run(b, cfg, func(b *testing.B) {
		grams, text, n := captureScene(b, n)
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
