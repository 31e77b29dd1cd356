package httpx_test

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/benchpair"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// Round trips through httpx against a hand-tuned *http.Transport with the
// same dialer and limits ("traced" is that Transport with empty GetConn and
// GotConn hooks on every request, as httpx sets them: the floor of
// learning which connection serves a request from net/http), serially and with 64 concurrent requests, each
// with a context.Background() request and with a deadline context (the
// common case: a per-request timeout), and against the default Transport
// at 64. Each runs in its own network namespace (tcp_tw_reuse=1, so the
// default Transport's churn does not run out of ports and does not touch
// the host). cpu-ns/op is the process's CPU time per request (client and
// server), less disturbed by other load than ns/op. Compare with
// internal/benchratio, one group at a time:
//
//	go run ./internal/benchratio -pkg ./httpx -bench RoundTrip -baseline serial/deadline/tuned -match '^serial/deadline/'
func BenchmarkRoundTrip(b *testing.B) {
	for _, par := range []struct {
		name string
		n    int
	}{{"serial", 1}, {"parallel64", 64}} {
		for _, ctx := range []string{"background", "deadline"} {
			for _, client := range []string{"httpx", "tuned", "traced", "default"} {
				if client == "default" && par.n == 1 {
					continue
				}
				b.Run(par.name+"/"+ctx+"/"+client, func(b *testing.B) {
					netnstest.Run(b, netnstest.Config{TWReuse: 1}, func(b *testing.B) {
						benchRoundTrip(b, client, par.n, ctx == "deadline")
					})
				})
			}
		}
	}
}

func benchRoundTrip(b *testing.B, kind string, par int, deadline bool) {
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
	case "tuned", "traced":
		tr := &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: concurrency,
			MaxIdleConnsPerHost: concurrency, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		rt = tr
		if kind == "traced" {
			rt = tracedTransport{tr}
		}
	default:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = d.DialContext
		defer tr.CloseIdleConnections()
		rt = tr
	}
	client := &http.Client{Transport: rt}
	one := func() error {
		ctx := context.Background()
		if deadline {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		return get(ctx, client, ts.URL, true)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := benchpair.CPUTime()
	if par == 1 {
		for range b.N {
			if err := one(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism((par + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.StopTimer()
	b.ReportMetric(float64(benchpair.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op") // client and server
	b.ReportMetric(float64(d.Stats().Opened)/float64(b.N), "dials/op")
}

// tracedTransport sends each request with a ClientTrace whose connection
// hooks do nothing: what net/http's tracing costs by itself.
type tracedTransport struct{ base http.RoundTripper }

var emptyTrace = &httptrace.ClientTrace{GetConn: func(string) {}, GotConn: func(httptrace.GotConnInfo) {}}

func (t tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), emptyTrace)))
}

// copiedTransport sends a copy of each request whose context carries a
// value: what tracedTransport costs before the trace itself.
type copiedTransport struct{ base http.RoundTripper }

type copiedKey struct{}

func (t copiedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(context.WithValue(req.Context(), copiedKey{}, true)))
}
