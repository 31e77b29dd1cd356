package httpx_test

import (
	"context"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// Item 6: round trips through httpx against a hand-tuned *http.Transport
// with the same dialer and limits, serially and with 64 concurrent
// requests, and against the default Transport at 64. Each runs in its own
// network namespace (tcp_tw_reuse=1, so the default Transport's churn does
// not run out of ports and does not touch the host). Compare ns/op with
// benchstat; the ratios are in the README.
func BenchmarkRoundTrip(b *testing.B) {
	cases := []struct {
		name   string
		par    int
		client string
	}{
		{"serial/httpx", 1, "httpx"},
		{"serial/tuned", 1, "tuned"},
		{"parallel64/httpx", 64, "httpx"},
		{"parallel64/tuned", 64, "tuned"},
		{"parallel64/default", 64, "default"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			netnstest.Run(b, netnstest.Config{TWReuse: 1}, func(b *testing.B) {
				benchRoundTrip(b, c.client, c.par)
			})
		})
	}
}

func benchRoundTrip(b *testing.B, kind string, par int) {
	ts := startServer(b, "127.0.0.1:8090", bodySize, nil)
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var rt http.RoundTripper
	switch kind {
	case "httpx":
		tr := httpx.MustNew(httpx.Config{Dialer: d, MaxConnsPerHost: concurrency})
		defer tr.Close()
		rt = tr
	case "tuned":
		tr := &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: concurrency,
			MaxIdleConnsPerHost: concurrency, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		rt = tr
	default:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = d.DialContext
		defer tr.CloseIdleConnections()
		rt = tr
	}
	client := &http.Client{Transport: rt}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	if par == 1 {
		for range b.N {
			if err := get(ctx, client, ts.URL, true); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism((par + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(ctx, client, ts.URL, true); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.StopTimer()
	b.ReportMetric(float64(d.Stats().Opened)/float64(b.N), "dials/op")
}
