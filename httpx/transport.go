package httpx

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Transport is an http.RoundTripper that keeps its connections: it dials
// through a keepconn dialer behind a per-host dial gate, keeps as many
// idle connections per host as it lets run at once, drains response
// bodies that were closed unread so their connection can be reused,
// retries a replayable request once when a reused connection turns out to
// be closed by the server, and counts all of it.
//
// A Transport is safe for concurrent use. Create it once and share it, as
// with http.Transport.
type Transport struct {
	cfg    Config
	base   http.RoundTripper
	tuned  *http.Transport // the transport we own and dial for; nil for a foreign base
	dialer *dialer.Dialer  // nil when the base dials by itself
	ownDlr bool
	epoch  time.Time // the monotonic clock's origin for now()

	maxPerHost int64 // the tuned transport's MaxConnsPerHost; 0: unknown

	hosts   hostTable
	count   counters
	inst    *instruments
	metrics metric.Registration
}

var (
	_ http.RoundTripper                   = (*Transport)(nil)
	_ interface{ CloseIdleConnections() } = (*Transport)(nil)
)

// New returns a Transport over a tuned *http.Transport, or a
// *ConfigError naming the Config field and value that are invalid.
//
// The tuned transport dials through a keepconn dialer (Config.Dialer, or
// one of its own from Config.DialerConfig), allows MaxConnsPerHost
// connections per host and keeps as many idle, closes idle connections
// after IdleConnTimeout, and speaks HTTP/2 to servers that offer it over
// TLS.
func New(cfg Config) (*Transport, error) { return newTransport(nil, cfg) }

// MustNew is New for a Config known to be valid: it panics with the
// *ConfigError where New would return it (like regexp.MustCompile).
func MustNew(cfg Config) *Transport { return must(New(cfg)) }

// Wrap gives base the same guarantees: bodies drained on Close, one retry
// of replayable requests on connections the server closed, the dial gate
// and the counts. A nil base means a fresh tuned transport, as New. A
// *http.Transport base is cloned, never mutated; the clone gets the
// per-host caps, keep-alive turned back on, HTTP/2 attempted, and its
// dials (its own DialContext, or a keepconn dialer when it has none)
// gated and counted. Any other base (otelhttp, a retrying client) is
// called as it is; connection counts then stay zero because its dials are
// not seen, and Reused comes from httptrace.
func Wrap(base http.RoundTripper, cfg Config) (*Transport, error) { return newTransport(base, cfg) }

// MustWrap is Wrap that panics on an invalid Config.
func MustWrap(base http.RoundTripper, cfg Config) *Transport { return must(Wrap(base, cfg)) }

// NewClient returns an *http.Client using New(cfg).
func NewClient(cfg Config) (*http.Client, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

func must(t *Transport, err error) *Transport {
	if err != nil {
		panic(err)
	}
	return t
}

func newTransport(base http.RoundTripper, cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Transport{cfg: cfg, epoch: time.Now()}
	t.hosts.forget = HostForgetAfter
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

// now is the time since the Transport was created, on the monotonic clock.
func (t *Transport) now() time.Duration { return time.Since(t.epoch) }

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
	t.maxPerHost = int64(ht.MaxConnsPerHost)
	return nil
}

func (t *Transport) newDialer() (*dialer.Dialer, error) {
	if t.cfg.Dialer != nil {
		t.dialer = t.cfg.Dialer
		return t.dialer, nil
	}
	var dc dialer.Config
	if t.cfg.DialerConfig != nil {
		dc = *t.cfg.DialerConfig
	}
	if dc.ConnectTimeout == 0 {
		dc.ConnectTimeout = t.cfg.ConnectTimeout
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
func tuneLimits(ht *http.Transport, cfg Config) {
	ht.DisableKeepAlives = false
	if ht.MaxConnsPerHost <= 0 {
		ht.MaxConnsPerHost = cfg.MaxConnsPerHost
	}
	ht.MaxIdleConnsPerHost = max(ht.MaxIdleConnsPerHost, ht.MaxConnsPerHost)
	if ht.MaxIdleConns != 0 && ht.MaxIdleConns < ht.MaxIdleConnsPerHost {
		ht.MaxIdleConns = 0 // no cap across hosts: the per-host cap governs
	}
	if ht.IdleConnTimeout <= 0 {
		ht.IdleConnTimeout = cfg.IdleConnTimeout
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
// use are not interrupted. Their closes count as Closed. Safe to call
// concurrently with requests.
func (t *Transport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// Close closes the idle connections, the dialer the Transport created
// (not one given in Config.Dialer) and stops reporting metrics. The
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
