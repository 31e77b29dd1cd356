package httpx_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Churning hosts (pods replaced one after another): 2×MaxTrackedHosts
// destinations, each used and then left without a connection. The table
// follows the live set: the newest hosts get their own series, never the
// _OTHER overflow, the counts of the hosts that left stay in Stats, and
// quiet hosts leave after the forget time.
func TestHostsFollowTheLiveSet(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 16, nil)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	// Every host name reaches the one test server.
	target := ts.URL[len("http://"):]
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, target)
	}}
	tr := httpx.MustWrap(base, httpx.Config{MeterProvider: mp})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	const hosts = 2 * httpx.MaxTrackedHosts
	for i := range hosts {
		if err := get(context.Background(), client, fmt.Sprintf("http://h%d.test/", i), true); err != nil {
			t.Fatal(err)
		}
		tr.CloseIdleConnections()
	}
	s := tr.Stats()
	if s.Opened != hosts || s.Closed != hosts || s.Open != 0 || s.Hosts > httpx.MaxTrackedHosts {
		t.Fatalf("after %d hosts: %+v", hosts, s)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	last := attribute.String(telemetry.AttrServerAddress, fmt.Sprintf("h%d.test", hosts-1))
	other := attribute.String(telemetry.AttrServerAddress, "_OTHER")
	if got := sumInt(rm, telemetry.ConnOpened, last); got != 1 {
		t.Errorf("the newest host's %s = %d, want 1", telemetry.ConnOpened, got)
	}
	if got := sumInt(rm, telemetry.ConnOpened, other); got != 0 {
		t.Errorf("%d connections counted under _OTHER", got)
	}

	tr.SetHostForgetAfter(50 * time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	if s := tr.Stats(); s.Hosts != 0 || s.Opened != hosts || s.Closed != hosts {
		t.Fatalf("quiet hosts kept: %+v", s)
	}
}

// While every tracked host keeps a connection, the table stays bounded:
// the hosts beyond MaxTrackedHosts share the _OTHER entry.
func TestHostsBoundedWhileBusy(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 16, nil)
	target := ts.URL[len("http://"):]
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, target)
	}}
	tr := httpx.MustWrap(base, httpx.Config{})
	defer tr.Close()
	client := &http.Client{Transport: tr}
	const hosts = httpx.MaxTrackedHosts + 4
	for i := range hosts {
		if err := get(context.Background(), client, fmt.Sprintf("http://h%d.test/", i), true); err != nil {
			t.Fatal(err)
		}
	}
	s := tr.Stats()
	if s.Hosts != httpx.MaxTrackedHosts+1 || s.Opened != hosts || s.Open != hosts {
		t.Fatalf("Hosts %d (want %d tracked and _OTHER), %+v", s.Hosts, httpx.MaxTrackedHosts, s.ConnStats)
	}
}
