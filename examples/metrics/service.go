package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/pool"
	"github.com/keepconn/keepconn/redisx"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// poolName is the pool's db.client.connection.pool.name.
const poolName = "line"

// params shape the workload.
type params struct {
	churn    bool          // the churning configuration
	burst    int           // concurrent requests per burst, per client
	gap      time.Duration // pause between bursts
	postgres bool          // add a sqlx client of a PostgreSQL started here
}

func (p params) validate() error {
	if p.burst < 1 || p.burst > 256 {
		return fmt.Errorf("-burst %d: want 1…256", p.burst)
	}
	if p.gap < 0 {
		return fmt.Errorf("-gap %s: must not be negative", p.gap)
	}
	return nil
}

// service is the example's whole process: the loopback servers, the
// clients under test, one keepconn dialer they all dial through, and the
// OpenTelemetry SDK exporting everything on /metrics.
type service struct {
	params

	registry *prometheus.Registry
	mp       *sdkmetric.MeterProvider
	dialer   *dialer.Dialer
	watch    metric.Registration

	lineSrv           *lineServer
	apiSrv, legacySrv *httpServer

	pool     *pool.Pool
	api      *http.Client // httpx, towards apiSrv
	legacy   *http.Client // a plain http.Transport through the dialer, towards legacySrv
	redisSrv *miniredis.Miniredis
	redis    *redisx.Client
	pgAddr   string   // with postgres only
	db       *sqlx.DB // with postgres only

	closers []func() // in reverse order of creation
}

// newService starts the servers and builds the clients; p.churn selects
// the churning configuration. On error everything started is stopped.
func newService(p params) (s *service, err error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	s = &service{params: p, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	exp, err := otelprom.New(otelprom.WithRegisterer(s.registry))
	if err != nil {
		return nil, err
	}
	s.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	s.onClose(func() { _ = s.mp.Shutdown(context.Background()) })
	if err := s.startServers(); err != nil {
		return nil, err
	}
	if s.dialer, err = dialer.New(dialer.Config{ConnectTimeout: 5 * time.Second, MeterProvider: s.mp}); err != nil {
		return nil, err
	}
	s.onClose(func() { _ = s.dialer.Close() })
	if s.watch, err = dialer.WatchTimeWait(s.dialer); err != nil {
		return nil, err
	}
	s.onClose(func() { _ = s.watch.Unregister() })
	if err := s.startPool(); err != nil {
		return nil, err
	}
	if err := s.startHTTPClients(); err != nil {
		return nil, err
	}
	if err := s.startRedis(); err != nil {
		return nil, err
	}
	if p.postgres {
		if err := s.startPostgres(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *service) onClose(f func()) { s.closers = append(s.closers, f) }

// close stops everything newService started, clients before servers so
// the clients' closes are the ones measured.
func (s *service) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

func (s *service) startServers() error {
	var err error
	if s.lineSrv, err = startLineServer(); err != nil {
		return err
	}
	s.onClose(s.lineSrv.close)
	if s.apiSrv, err = startHTTPServer(); err != nil {
		return err
	}
	s.onClose(s.apiSrv.close)
	if s.legacySrv, err = startHTTPServer(); err != nil {
		return err
	}
	s.onClose(s.legacySrv.close)
	return nil
}

// startPool builds the line-protocol pool. Steady: the idle cap follows
// the open cap. Churning: the seed's misconfiguration, an idle cap of 1
// below bursts of s.burst, so every burst re-dials and the releases
// close (MaxIdleClosed, active: TIME_WAIT here).
func (s *service) startPool() error {
	cfg := pool.Config{
		Addr:          s.lineSrv.addr(),
		Dial:          s.dialer.DialContext,
		MaxConns:      s.burst,
		Name:          poolName,
		MeterProvider: s.mp,
	}
	if s.churn {
		cfg.MaxIdle = 1
	}
	p, err := pool.New(cfg)
	if err != nil {
		return err
	}
	s.pool = p
	s.onClose(p.Close)
	return nil
}

// startHTTPClients builds the two HTTP clients, each wrapped in otelhttp
// so that requests per host can be set against connections opened.
func (s *service) startHTTPClients() error {
	idle := time.Duration(0) // httpx's default
	if s.churn {
		idle = 10 * time.Millisecond // shorter than the gap between bursts
	}
	t, err := newHTTPX(s.dialer, s.mp, s.burst, idle)
	if err != nil {
		return err
	}
	s.onClose(func() { _ = t.Close() })
	s.api = &http.Client{Transport: otelhttp.NewTransport(t, otelhttp.WithMeterProvider(s.mp)), Timeout: 10 * time.Second}

	plain := &http.Transport{
		DialContext:         s.dialer.DialContext,
		MaxIdleConnsPerHost: s.burst,
		IdleConnTimeout:     90 * time.Second,
	}
	if s.churn {
		plain.MaxIdleConnsPerHost = 0 // http.DefaultMaxIdleConnsPerHost: 2
	}
	s.onClose(plain.CloseIdleConnections)
	s.legacy = &http.Client{Transport: otelhttp.NewTransport(plain, otelhttp.WithMeterProvider(s.mp)), Timeout: 10 * time.Second}
	return nil
}

// serveMetrics serves /metrics on ln until the returned function is
// called, which shuts the server down.
func (s *service) serveMetrics(ln net.Listener) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("metrics server:", err)
		}
	}()
	return func() {
		_ = srv.Close()
		<-done
	}
}
