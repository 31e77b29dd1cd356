package httpx

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Transport is an http.RoundTripper that keeps its connections: it dials
// through a keepconn dialer, keeps as many idle connections per host as it
// lets run at once, drains response bodies that were closed unread so their
// connection can be reused, retries a replayable request once when a reused
// connection turns out to be closed by the server, and counts all of it.
//
// A Transport is safe for concurrent use. Create it once and share it, as
// with http.Transport.
type Transport struct {
	cfg    config
	base   http.RoundTripper
	tuned  *http.Transport // the transport we own and dial for; nil for a foreign base
	dialer *dialer.Dialer  // nil when the base dials by itself or we were given one
	ownDlr bool

	hosts hostTable
	counters
	inst        *instruments
	metrics     metric.Registration
	closingIdle atomic.Int32
}

var (
	_ http.RoundTripper                   = (*Transport)(nil)
	_ interface{ CloseIdleConnections() } = (*Transport)(nil)
)

// New returns a Transport over a tuned *http.Transport, or a *ConfigError
// naming the option and value that are invalid.
func New(opts ...Option) (*Transport, error) {
	return newTransport(nil, opts)
}

// NewTransport is New for options known to be valid: it panics with the
// *ConfigError where New would return it (like regexp.MustCompile).
//
// The tuned transport dials through a keepconn dialer, allows
// DefaultMaxConnsPerHost connections per host and keeps as many idle,
// closes idle connections after DefaultIdleConnTimeout, and speaks HTTP/2
// to servers that offer it over TLS.
func NewTransport(opts ...Option) *Transport {
	return must(New(opts...))
}

// Wrap gives base the same guarantees: bodies drained on Close, one retry
// of replayable requests on connections the server closed, and the counts.
// A nil base means a fresh tuned transport, as NewTransport. A
// *http.Transport base is cloned, never mutated; the clone gets the
// per-host caps, keep-alive turned back on, HTTP/2 attempted, and its dials
// (its own DialContext, or a keepconn dialer when it has none) counted.
// Any other base (otelhttp, a retrying client) is called as it is;
// connection counts then stay zero because its dials are not seen, and
// Reused comes from httptrace. Invalid options make Wrap panic like
// NewTransport; WrapE returns the error instead.
func Wrap(base http.RoundTripper, opts ...Option) *Transport {
	return must(WrapE(base, opts...))
}

// WrapE is Wrap returning invalid options as a *ConfigError.
func WrapE(base http.RoundTripper, opts ...Option) (*Transport, error) {
	if base == nil {
		return newTransport(nil, opts)
	}
	return newTransport(base, opts)
}

// NewClient returns an *http.Client using NewTransport(opts...). It panics
// on invalid options like NewTransport.
func NewClient(opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(opts...)}
}

func must(t *Transport, err error) *Transport {
	if err != nil {
		panic(err)
	}
	return t
}

func newTransport(base http.RoundTripper, opts []Option) (*Transport, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Transport{cfg: cfg}
	var err error
	switch b := base.(type) {
	case nil:
		err = t.useHTTPTransport(&http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSHandshakeTimeout:   10 * time.Second, // as http.DefaultTransport
			ExpectContinueTimeout: time.Second,
		})
	case *http.Transport:
		err = t.useHTTPTransport(b.Clone())
	default:
		t.base = base
	}
	if err != nil {
		return nil, err
	}
	t.inst, t.metrics = t.registerMetrics()
	return t, nil
}

// useHTTPTransport tunes ht (a value we own) and makes it the base.
func (t *Transport) useHTTPTransport(ht *http.Transport) error {
	inner := ht.DialContext
	if inner == nil && ht.Dial != nil {
		dial := ht.Dial
		inner = func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }
	}
	if inner == nil {
		d, err := t.newDialer()
		if err != nil {
			return err
		}
		inner = d.DialContext
	}
	// A custom DialTLSContext is left as it is: net/http looks for a
	// *tls.Conn to finish the handshake and read ALPN, and a wrapper would
	// hide it. Its connections are not counted per host by httpx.
	ht.Dial, ht.DialContext = nil, t.dialWith(inner)
	tuneLimits(ht, t.cfg)
	t.tuned, t.base = ht, ht
	return nil
}

func (t *Transport) newDialer() (*dialer.Dialer, error) {
	if t.cfg.dialer != nil {
		t.dialer = t.cfg.dialer
		return t.dialer, nil
	}
	var dc dialer.Config
	if t.cfg.dialerConfig != nil {
		dc = *t.cfg.dialerConfig
	}
	// The Transport reports the same counts per destination.
	dc.MeterProvider = noop.NewMeterProvider()
	d, err := dialer.New(dc)
	if err != nil {
		return nil, err
	}
	t.dialer, t.ownDlr = d, true
	return d, nil
}

// tuneLimits makes the idle cap follow the open cap, so no connection a
// burst needed is closed when the burst ends.
func tuneLimits(ht *http.Transport, cfg config) {
	ht.DisableKeepAlives = false
	if ht.MaxConnsPerHost <= 0 {
		ht.MaxConnsPerHost = cfg.maxConnsPerHost
	}
	ht.MaxIdleConnsPerHost = max(ht.MaxIdleConnsPerHost, ht.MaxConnsPerHost)
	if ht.MaxIdleConns != 0 && ht.MaxIdleConns < ht.MaxIdleConnsPerHost {
		ht.MaxIdleConns = 0 // no cap across hosts: the per-host cap governs
	}
	if ht.IdleConnTimeout <= 0 {
		ht.IdleConnTimeout = cfg.idleConnTimeout
	}
	ht.ForceAttemptHTTP2 = true
}

// HTTPTransport returns the tuned *http.Transport the Transport runs on, or
// nil when it wraps a RoundTripper of another kind. Changing it after the
// first request is a data race, as with any http.Transport.
func (t *Transport) HTTPTransport() *http.Transport { return t.tuned }

// Dialer returns the keepconn dialer the Transport dials through, or nil
// when it uses the base transport's own dial function.
func (t *Transport) Dialer() *dialer.Dialer { return t.dialer }

// CloseIdleConnections closes the connections that are idle now; those in
// use are not interrupted. Safe to call concurrently with requests.
func (t *Transport) CloseIdleConnections() {
	t.closingIdle.Add(1)
	defer t.closingIdle.Add(-1)
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// Close closes the idle connections and stops reporting metrics. The
// Transport can still be used; Stats keeps counting.
func (t *Transport) Close() error {
	t.CloseIdleConnections()
	if t.ownDlr {
		t.dialer.Close()
	}
	if t.metrics == nil {
		return nil
	}
	return t.metrics.Unregister()
}
