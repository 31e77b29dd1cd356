package dialer

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/benchpair"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// BenchmarkDialPaired is BenchmarkDial's comparison made inside one
// process and namespace, in alternating blocks of dials (benchpair), which
// cancels the machine's fast drift: net.Dialer, keepconn, and the floors
// of exact close accounting and of source binding (on sockets set up as
// keepconn's: floorDialer). It reports each one's
// median ns per dial+close, its median ratio to net.Dialer, and keepconn's
// ratios to its floors. "net.Dialer-again" is net.Dialer once more: its
// ratio to net.Dialer shows what no difference measures as.
// "exact-close+2µs" is the floor spending two microseconds of CPU more per
// dial on the dialing goroutine (benchpair.Burner): its ratio to the
// floor is the scale on which keepconn's ratio to the floor reads as
// microseconds of work of its own.
//
//	go run ./internal/benchratio -pkg ./dialer -bench DialPaired -paired -n 12 -benchtime 100000x
func BenchmarkDialPaired(b *testing.B) {
	netnstest.Run(b, benchNamespace, func(b *testing.B) {
		srv := startServer(b, "127.0.0.1:5000", drainUntilEOF)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		dialClose := func(name string, dial dialFunc) benchpair.Variant {
			return benchpair.Serial(name, func() {
				c, err := dial(ctx, "tcp", srv.addr())
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			})
		}
		srcs := addrs("127.0.0.1", "127.0.0.2")
		b.ReportAllocs()
		benchpair.Run(b, 500,
			dialClose("net.Dialer", (&net.Dialer{}).DialContext),
			dialClose("net.Dialer-again", (&net.Dialer{}).DialContext),
			dialClose("keepconn", mustNew(b, Config{}).DialContext).Against("exact-close"),
			dialClose("exact-close", exactClose(floorDialer().DialContext)),
			dialClose("exact-close+2µs", burning(benchpair.NewBurner(2*time.Microsecond), exactClose(floorDialer().DialContext))).Against("exact-close"),
			dialClose("sources-exact-close", exactClose(noPortDialer("127.0.0.1", "127.0.0.2").DialContext)),
			dialClose("keepconn-sources", mustNew(b, Config{SourceAddrs: srcs}).DialContext).Against("sources-exact-close"),
		)
	})
}

// burning returns dial with cpu's time spent before each dial.
func burning(cpu benchpair.Burner, dial dialFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		cpu.Burn()
		return dial(ctx, network, address)
	}
}
