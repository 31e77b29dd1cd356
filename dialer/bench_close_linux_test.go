package dialer

import (
	"context"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
)

// BenchmarkClose measures Close with and without AwaitPeerClose, against
// a server that closes on the client's goodbye: each iteration dials,
// writes the goodbye and closes. close-ns/op is the time spent in Close
// alone; allocs/op compared between the two is what the wait adds.
func BenchmarkClose(b *testing.B) {
	for _, bc := range []struct {
		name  string
		await time.Duration
	}{{"plain", 0}, {"await", time.Second}} {
		b.Run(bc.name, func(b *testing.B) {
			netnstest.Run(b, benchNamespace, func(b *testing.B) {
				startServer(b, quitServerAddr, quitServer)
				d := mustNew(b, Config{AwaitPeerClose: bc.await})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				quit := []byte("QUIT\n")
				var inClose time.Duration
				b.ReportAllocs()
				for b.Loop() {
					c, err := d.DialContext(ctx, "tcp", quitServerAddr)
					if err != nil {
						b.Fatal(err)
					}
					c.Write(quit)
					start := time.Now()
					c.Close()
					inClose += time.Since(start)
				}
				b.ReportMetric(float64(inClose.Nanoseconds())/float64(b.N), "close-ns/op")
				shutdown(b, d)
			})
		})
	}
}
