package httpx_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/netnstest"
)

// Item 5: a namespace with 100 ephemeral ports and tcp_tw_reuse=0.
func TestPortExhaustion(t *testing.T) {
	netnstest.Run(t, netnstest.Config{PortLow: 40000, PortHigh: 40099}, func(t *testing.T) {
		const n = 10000
		ts := startServer(t, "127.0.0.1:5005", bodySize, nil)
		tr := httpx.MustNew(httpx.Config{})
		defer tr.Close()
		res := load(&http.Client{Transport: tr}, ts.URL, n, concurrency, true)
		if res.errs != 0 || res.ok != n {
			t.Fatalf("httpx: %d of %d requests failed, first: %v", res.errs, n, res.firstErr)
		}
		if s := tr.Stats(); s.AddrNotAvail != 0 {
			t.Errorf("httpx: %+v", s)
		} else {
			checkDials(t, s, ts, n)
		}

		ks := startServer(t, "127.0.0.1:5006", bodySize, nil)
		d, err := dialer.New(dialer.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		noKA := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
		defer noKA.CloseIdleConnections()
		kres := load(&http.Client{Transport: noKA}, ks.URL, n, concurrency, true)
		ds := d.Stats()
		ktw := settledTimeWait(t, ks.Port)
		t.Logf("DisableKeepAlives: %d ok, %d failed (%d EADDRNOTAVAIL), first error %v; client TIME_WAIT %d; dialer %+v",
			kres.ok, kres.errs, kres.addrNotAvail, kres.firstErr, ktw, ds)
		// Who closes first is a race with keep-alive off (usually the
		// server); what the kernel guarantees: one connection per request,
		// a client-first close holds its port for 60 s (tcp_tw_reuse=0), so
		// at most 100 of them, and a failure is only a port shortage.
		if ds.Opened != kres.ok || kres.errs != kres.addrNotAvail {
			t.Errorf("DisableKeepAlives: %d dials for %d successful requests, %d failures of which %d EADDRNOTAVAIL",
				ds.Opened, kres.ok, kres.errs, kres.addrNotAvail)
		}
		if ds.ActiveCloses > 100 || int64(ktw) > ds.ActiveCloses {
			t.Errorf("DisableKeepAlives: %d client-first closes and %d client TIME_WAIT with 100 ports", ds.ActiveCloses, ktw)
		}

		// One connection per request closed by the client (a Transport per
		// request, or CloseIdleConnections after each): every request leaves
		// a client TIME_WAIT, so the 100 ports last for about 100 requests.
		cs := startServer(t, "127.0.0.1:5007", bodySize, nil)
		perReq := &perRequestTransport{dial: d.DialContext}
		cres := load(&http.Client{Transport: perReq}, cs.URL, 1000, 8, true)
		t.Logf("client-closed connection per request: %d ok, %d failed (%d EADDRNOTAVAIL), first error %v",
			cres.ok, cres.errs, cres.addrNotAvail, cres.firstErr)
		if cres.ok > 100 || cres.addrNotAvail < 900 {
			t.Errorf("connection per request, client closing: %d ok, %d EADDRNOTAVAIL of 1000; want at most 100 ok (100 ports)",
				cres.ok, cres.addrNotAvail)
		}
	})
}

// perRequestTransport opens a connection per request and closes it from
// the client side when the response is done, as a client that creates a
// Transport per request does.
type perRequestTransport struct {
	dial func(context.Context, string, string) (net.Conn, error)
}

func (p *perRequestTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tr := &http.Transport{DialContext: p.dial}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	resp.Body = &closeIdleBody{ReadCloser: resp.Body, tr: tr}
	return resp, nil
}

type closeIdleBody struct {
	io.ReadCloser
	tr *http.Transport
}

func (b *closeIdleBody) Close() error {
	err := b.ReadCloser.Close()
	b.tr.CloseIdleConnections()
	return err
}
