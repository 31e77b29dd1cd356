package httpx_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// A client whose caller closes bodies without reading them still reuses
// its one connection: Close drains the rest.
func ExampleNewClient() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a small body the caller never reads")
	}))
	defer srv.Close()

	client, err := httpx.NewClient(httpx.Config{})
	if err != nil {
		panic(err)
	}
	defer client.CloseIdleConnections()
	for range 10 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			panic(err)
		}
		resp.Body.Close() // unread: net/http alone would close the connection
	}
	s := client.Transport.(*httpx.Transport).Stats()
	fmt.Printf("requests %d, connections %d, reused %d, drained %d\n", s.Acquisitions, s.Opened, s.Reused, s.Drained)
	// Output: requests 10, connections 1, reused 9, drained 10
}

// A Config names only what differs from the defaults; a bad value is a
// *ConfigError naming the field.
func ExampleNew() {
	tr, err := httpx.New(httpx.Config{
		MaxConnsPerHost:       16,
		MaxConnLifetime:       5 * time.Minute, // rebalance behind a load balancer
		MaxConnLifetimeJitter: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	fmt.Println("idle per host:", tr.HTTPTransport().MaxIdleConnsPerHost)

	_, err = httpx.New(httpx.Config{DrainTimeout: -time.Second})
	var ce *httpx.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field, ce.Value)
	}
	// Output:
	// idle per host: 16
	// httpx.Config.DrainTimeout -1s
}

// Wrap fixes a copy of a Transport that would churn; the original is left
// as it was.
func ExampleWrap() {
	churning := &http.Transport{DisableKeepAlives: true, MaxIdleConnsPerHost: 2}
	tr := httpx.MustWrap(churning, httpx.Config{MaxConnsPerHost: 100})
	defer tr.Close()
	ht := tr.HTTPTransport()
	fmt.Println("keep-alive off:", ht.DisableKeepAlives, "idle per host:", ht.MaxIdleConnsPerHost)
	fmt.Println("original keep-alive off:", churning.DisableKeepAlives, "idle per host:", churning.MaxIdleConnsPerHost)
	// Output:
	// keep-alive off: false idle per host: 100
	// original keep-alive off: true idle per host: 2
}

// ConfigureServer leaves the closing of idle connections, and the
// TIME_WAIT it costs, to the clients.
func ExampleConfigureServer() {
	srv := httpx.ConfigureServer(&http.Server{Addr: "127.0.0.1:8080", IdleTimeout: 5 * time.Second})
	fmt.Println(srv.IdleTimeout)
	// Output: 2m0s
}
