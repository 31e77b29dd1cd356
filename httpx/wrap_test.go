package httpx_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// Wrap clones a *http.Transport and fixes the clone; the original is
// never touched.
func TestWrapDoesNotMutate(t *testing.T) {
	base := &http.Transport{DisableKeepAlives: true, MaxIdleConns: 10, MaxIdleConnsPerHost: 2}
	tr := httpx.MustWrap(base, httpx.Config{})
	defer tr.Close()
	if base.DisableKeepAlives != true || base.MaxIdleConnsPerHost != 2 || base.MaxConnsPerHost != 0 || base.DialContext != nil {
		t.Fatalf("base changed: %+v", base)
	}
	ht := tr.HTTPTransport()
	if ht == base || ht.DisableKeepAlives || ht.MaxConnsPerHost != httpx.DefaultMaxConnsPerHost ||
		ht.MaxIdleConnsPerHost < ht.MaxConnsPerHost || ht.MaxIdleConns != 0 || !ht.ForceAttemptHTTP2 {
		t.Fatalf("clone not tuned: keepalive off %v, conns %d, idle/host %d, idle %d",
			ht.DisableKeepAlives, ht.MaxConnsPerHost, ht.MaxIdleConnsPerHost, ht.MaxIdleConns)
	}
	if tr.Dialer() == nil {
		t.Fatal("a base without DialContext should dial through a keepconn dialer")
	}
	if http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost != 0 {
		t.Fatal("http.DefaultTransport changed")
	}
	ts := startServer(t, "127.0.0.1:0", bodySize, nil)
	res := load(&http.Client{Transport: tr}, ts.URL, 500, 8, true)
	if s := tr.Stats(); res.errs != 0 || s.Opened > httpx.DefaultMaxConnsPerHost || s.Reused < 500-s.Opened {
		t.Fatalf("wrapped keep-alive-disabled transport: %d errors, %+v", res.errs, s)
	}
}

func TestWrapKeepsBaseMaxConnsPerHost(t *testing.T) {
	tr := httpx.MustWrap(&http.Transport{MaxConnsPerHost: 200}, httpx.Config{})
	defer tr.Close()
	if ht := tr.HTTPTransport(); ht.MaxConnsPerHost != 200 || ht.MaxIdleConnsPerHost != 200 {
		t.Fatalf("MaxConnsPerHost %d, MaxIdleConnsPerHost %d; want 200 and 200", ht.MaxConnsPerHost, ht.MaxIdleConnsPerHost)
	}
}

// Over TLS the tuned transport speaks HTTP/2 to a server that offers it:
// one connection for many concurrent requests.
func TestHTTP2(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	ht := ts.Client().Transport.(*http.Transport)
	base := &http.Transport{TLSClientConfig: ht.TLSClientConfig}
	tr := httpx.MustWrap(base, httpx.Config{})
	defer tr.Close()
	// The first request learns that the server speaks HTTP/2; until then
	// concurrent requests would each dial.
	if err := get(context.Background(), &http.Client{Transport: tr}, ts.URL, true); err != nil {
		t.Fatal(err)
	}
	res := load(&http.Client{Transport: tr}, ts.URL, 200, 16, false)
	s := tr.Stats()
	if res.errs != 0 || s.Opened != 1 {
		t.Fatalf("HTTP/2: %d errors (%v), %d connections, want 0 and 1", res.errs, res.firstErr, s.Opened)
	}
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "HTTP/2.0" {
		t.Fatalf("protocol %q, want HTTP/2.0", b)
	}
}

func TestConfigureServer(t *testing.T) {
	srv := httpx.ConfigureServer(&http.Server{IdleTimeout: time.Second})
	if srv.IdleTimeout != httpx.DefaultServerIdleTimeout {
		t.Fatalf("IdleTimeout = %v", srv.IdleTimeout)
	}
	if srv := httpx.ConfigureServer(&http.Server{IdleTimeout: time.Hour}); srv.IdleTimeout != time.Hour {
		t.Fatalf("a longer IdleTimeout was shortened to %v", srv.IdleTimeout)
	}
}
