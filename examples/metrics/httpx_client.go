package main

import (
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/httpx"
	"go.opentelemetry.io/otel/metric"
)

// newHTTPX builds the keepconn Transport of the "api" client, dialing
// through d and reporting on mp; idle 0 keeps httpx's idle timeout.
func newHTTPX(d *dialer.Dialer, mp metric.MeterProvider, maxConns int, idle time.Duration) (*httpx.Transport, error) {
	return httpx.New(httpx.Config{Dialer: d, MeterProvider: mp, MaxConnsPerHost: maxConns, IdleConnTimeout: idle})
}
