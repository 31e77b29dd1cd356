package httpx_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/benchpair"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// BenchmarkRoundTripPaired is BenchmarkRoundTrip's comparison made inside
// one process, in alternating blocks of requests (benchpair), which
// cancels the machine's fast drift: the hand-tuned Transport, httpx, and
// two floors of seeing which connection serves a request: the tuned
// Transport sent a copy of each request whose context carries a value
// ("copied": what any per-request context costs, as net/http's
// Request.WithContext copies the request), and the tuned Transport with
// empty trace hooks in that context ("traced"). Each has its own
// connections to one server, every request under a deadline context. It
// reports each one's median ns per request, its median ratio to the tuned
// Transport, and httpx's ratio to "traced"; a request's time is the
// block's wall time per request, serially or with 64 requests in flight.
// "tuned-again" is a second tuned Transport: its ratio to the first shows
// what no difference measures as. "traced+1µs" is "traced" spending one
// microsecond of CPU more per request on the requesting goroutine
// (burnTransport): its ratio to "traced" is what that much client work
// measures as, the scale on which httpx's ratio to "traced" reads as
// work of its own. On a small VM a block's time varies
// from one block to the next by more than the differences measured (the
// handoffs between the client's, the server's and the connections'
// goroutines land differently), so the blocks are short and many: it is
// the number of rounds that narrows the interval.
//
//	go run ./internal/benchratio -pkg ./httpx -bench RoundTripPaired -match '^serial$' -paired -n 6 -benchtime 100000x
//
// The "-floors" groups run the tuned Transport and the two floors alone:
// with fewer variants a run has more rounds of each, which narrows the
// interval of what the floors cost by themselves.
func BenchmarkRoundTripPaired(b *testing.B) {
	for _, g := range []struct {
		name        string
		par         int
		floorsAlone bool
	}{{"serial", 1, false}, {"parallel64", 64, false}, {"serial-floors", 1, true}, {"parallel64-floors", 64, true}} {
		par := g.par
		b.Run(g.name, func(b *testing.B) {
			netnstest.Run(b, netnstest.Config{TWReuse: 1}, func(b *testing.B) {
				ts := startServer(b, "127.0.0.1:8090", bodySize, nil)
				d, err := dialer.New(dialer.Config{})
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				tuned := func() *http.Transport {
					tr := &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: concurrency,
						MaxIdleConnsPerHost: concurrency, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
					b.Cleanup(tr.CloseIdleConnections)
					return tr
				}
				variant := func(name string, rt http.RoundTripper) benchpair.Variant {
					return requests(b, name, &http.Client{Transport: rt}, ts.URL, par)
				}
				block := 500
				if par > 1 {
					block = 1000 // 64 goroutines share it: ~16 requests each
				}
				b.ReportAllocs()
				variants := []benchpair.Variant{variant("tuned", tuned()), variant("tuned-again", tuned()),
					variant("copied", copiedTransport{tuned()}), variant("traced", tracedTransport{tuned()})}
				if !g.floorsAlone {
					burned := burnTransport{tuned(), benchpair.NewBurner(time.Microsecond)}
					hx := httpx.MustNew(httpx.Config{Dialer: d, MaxConnsPerHost: concurrency})
					defer hx.Close()
					variants = append(variants, variant("traced+1µs", tracedTransport{burned}).Against("traced"),
						variant("httpx", hx).Against("traced"))
				}
				benchpair.Run(b, block, variants...)
			})
		})
	}
}

// requests makes a Variant that sends a block's requests with par of them
// in flight.
func requests(b *testing.B, name string, client *http.Client, url string, par int) benchpair.Variant {
	one := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := get(ctx, client, url, true); err != nil {
			b.Error(err)
		}
	}
	if par == 1 {
		return benchpair.Serial(name, one)
	}
	return benchpair.Variant{Name: name, Block: func(n int) {
		var left atomic.Int64
		left.Store(int64(n))
		var wg sync.WaitGroup
		for range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					one()
				}
			}()
		}
		wg.Wait()
	}}
}
