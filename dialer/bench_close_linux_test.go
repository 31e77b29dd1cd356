package dialer

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
)

// BenchmarkClose measures Close of a net.Dialer connection and of the
// dialer's, with and without AwaitPeerClose, against a server that closes
// on the client's goodbye: each iteration dials, writes the goodbye and
// closes. close-ns/op is the time spent in Close alone; allocs/op compared
// between them is what the wait adds. Compare with
//
//	go run ./internal/benchratio -pkg ./dialer -bench Close -baseline net.Dialer -n 10 -benchtime 5000x -o close.txt
//
// (the report's ratio is of the whole iteration; close-ns/op is in close.txt).
func BenchmarkClose(b *testing.B) {
	for _, bc := range []struct {
		name  string
		await time.Duration
	}{{"net.Dialer", -1}, {"plain", 0}, {"await", time.Second}} {
		b.Run(bc.name, func(b *testing.B) {
			netnstest.Run(b, benchNamespace, func(b *testing.B) {
				startServer(b, quitServerAddr, quitServer)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				dial := (&net.Dialer{}).DialContext
				if bc.await >= 0 {
					d := mustNew(b, Config{AwaitPeerClose: bc.await})
					defer shutdown(b, d)
					dial = d.DialContext
				}
				quit := []byte("QUIT\n")
				var inClose time.Duration
				defer reportKernelAsks(b)()
				b.ReportAllocs()
				for b.Loop() {
					c, err := dial(ctx, "tcp", quitServerAddr)
					if err != nil {
						b.Fatal(err)
					}
					c.Write(quit)
					start := time.Now()
					c.Close()
					inClose += time.Since(start)
				}
				b.ReportMetric(float64(inClose.Nanoseconds())/float64(b.N), "close-ns/op")
			})
		})
	}
}
